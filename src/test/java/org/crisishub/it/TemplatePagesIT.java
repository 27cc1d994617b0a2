package org.crisishub.it;

import static org.crisishub.it.WebPagesIT.await;
import static org.crisishub.it.WebPagesIT.awaitTrue;
import static org.crisishub.it.WebPagesIT.click;
import static org.crisishub.it.WebPagesIT.shot;
import static org.crisishub.it.WebPagesIT.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.crisishub.support.Api;
import org.crisishub.support.HeadlessChromium;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The template flow in a real browser (Debian's headless Chromium, as {@link WebPagesIT}): a publisher
 * chooses an approved template on /responder, fills its fields, sees every language with its SMS
 * segments and publishes alone under the two-person rule; a Spanish reader sees the Spanish text,
 * verified.
 */
@DisplayName("Templates in headless Chromium: console flow and the reader's language")
class TemplatePagesIT {
  static final String ADMIN = "tpl-pages-admin-token-0123456789";
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    for (String bin : new String[] {"/usr/bin/chromium", "/usr/bin/chromedriver"}) {
      assertTrue(Files.isExecutable(Path.of(bin)), bin + " is missing: apt-get install -y chromium chromium-driver");
    }
    Files.createDirectories(WebPagesIT.SHOTS);
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_ADMIN_TOKEN", ADMIN));
    api = new Api(hub.vertx, hub.port());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  String url(String path) {
    return "http://127.0.0.1:" + hub.port() + path;
  }

  @Test
  @DisplayName("choose a template, fill it, see each language with its SMS segments, publish; the reader's language shows")
  void consoleFlow() throws Exception {
    api.createResponder(ADMIN, "tplwriter", "County EMS", "[\"publisher\"]");
    api.createResponder(ADMIN, "tplapprover", "County EMS", "[\"approver\"]");
    api.createResponder(ADMIN, "tplpub", "County EMS", "[\"publisher\"]");
    String writer = api.responderLogin("tplwriter");
    assertEquals(201, api.post("/api/v1/incidents", writer,
        "{\"code\":\"WEBT\",\"name\":\"Template flood\",\"twoPersonRule\":true}").status());
    var t = api.post("/api/v1/templates", writer, """
        {"name":"Shelter open","headline":"Shelter open at {place}","body":"Go to {place}. Bring water.",
         "severity":"Severe","urgency":"Immediate","certainty":"Observed",
         "variants":[{"language":"es","headline":"Refugio abierto en {place}","body":"Vaya a {place}. Traiga agua."}],
         "placeholders":{"place":{"maxLength":40}}}""");
    assertEquals(201, t.status(), t.text());
    String id = t.json().path("id").asText();

    WebDriver console = HeadlessChromium.open(dir, 360, 740);
    WebDriver reader = null;
    try {
      // The approver sees the version waiting, in every language, and approves it on the console.
      console.get(url("/responder"));
      await(console, By.id("username")).sendKeys("tplapprover");
      console.findElement(By.id("password")).sendKeys("password of tplapprover");
      console.findElement(By.cssSelector("#login-form button[type=submit]")).click();
      WebElement waiting = await(console, By.cssSelector("#tpl-queue li[data-id='" + id + "']"));
      assertTrue(waiting.getText().contains("Refugio abierto en {place}") && waiting.getText().contains("tplwriter"),
          waiting.getText());
      click(console, By.cssSelector("#tpl-queue li[data-id='" + id + "'] button"));
      awaitTrue(console, "approved", d -> d.findElements(By.cssSelector("#tpl-queue li[data-id]")).isEmpty());
      assertEquals(1, api.get("/api/v1/templates/" + id, writer).json().path("approvedVersion").asInt());
      click(console, By.id("logout"));

      console.get(url("/responder"));
      await(console, By.id("username")).sendKeys("tplpub");
      console.findElement(By.id("password")).sendKeys("password of tplpub");
      console.findElement(By.cssSelector("#login-form button[type=submit]")).click();
      awaitTrue(console, "the template is offered", d -> d.findElement(By.id("tpl-select")).getText().contains("Shelter open"));
      WebElement place = await(console, By.cssSelector("#tpl-fields input[data-name=place]"));
      assertEquals("40", place.getAttribute("maxlength"));
      awaitTrue(console, "a missing value is named", d -> d.findElement(By.id("tpl-error")).getText().contains("place"));
      place.sendKeys("Lincoln High");
      await(console, By.cssSelector("#tpl-preview[data-state=ok] .tpl-lang[data-lang=es]"));
      awaitTrue(console, "the filled Spanish text", d -> d.findElement(By.cssSelector(".tpl-lang[data-lang=es]")).getText()
          .contains("Refugio abierto en Lincoln High"));
      String en = text(console, By.cssSelector(".tpl-lang[data-lang=en]"));
      assertTrue(en.contains("Shelter open at Lincoln High") && en.contains("1 SMS segment(s), GSM-7"), en);
      shot(console, "responder-template");
      click(console, By.id("tpl-publish"));
      await(console, By.cssSelector("#notices li[data-state=published]"));
      assertTrue(text(console, By.cssSelector("#notices li[data-state=published]")).contains("Shelter open at Lincoln High"));

      reader = HeadlessChromium.open(dir, 360, 740);
      reader.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
      reader.get(url("/incidents/webt"));
      await(reader, By.cssSelector("#notices article[data-verified=true][data-lang=en]"));
      click(reader, By.cssSelector("header .lang button[data-lang=es]"));
      WebElement es = await(reader, By.cssSelector("#notices article[data-verified=true][data-lang=es]"));
      assertTrue(es.getText().contains("Refugio abierto en Lincoln High") && es.getText().contains("Vaya a Lincoln High"),
          es.getText());
      shot(reader, "incident-template-es");
      click(reader, By.cssSelector("#notices article .langs button[data-lang=en]"));
      await(reader, By.cssSelector("#notices article[data-lang=en]"));
      assertTrue(text(reader, By.cssSelector("#notices article")).contains("Shelter open at Lincoln High"));
    } finally {
      console.quit();
      if (reader != null) {
        reader.quit();
      }
    }
  }
}
