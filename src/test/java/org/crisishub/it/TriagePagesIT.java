package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Keyword watch and the reply thread on the pages, in headless Chromium: the desk marks a watch match and
 * its terms; a responder's question reaches the person's open check-in page, whose answer reaches the desk.
 */
@DisplayName("Triage on the pages: the desk marks watch matches; the thread runs between the desk and the person's page")
class TriagePagesIT {
  static final String ADMIN = "triage-pages-admin-token-0123456789";
  static final Path SHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  final List<WebDriver> browsers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(SHOTS);
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_ADMIN_TOKEN", ADMIN));
    api = new Api(hub.vertx, hub.port());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  @AfterEach
  void closeBrowsers() {
    browsers.forEach(WebDriver::quit);
  }

  WebDriver phone() throws Exception {
    WebDriver d = org.crisishub.support.HeadlessChromium.open(dir, 360, 740);
    browsers.add(d);
    return d;
  }

  static String url(String path) {
    return "http://127.0.0.1:" + hub.port() + path;
  }

  static void awaitTrue(WebDriver d, String what, java.util.function.Function<WebDriver, Boolean> cond) {
    new WebDriverWait(d, WAIT).withMessage(what)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .ignoring(org.openqa.selenium.NoSuchElementException.class).until(cond::apply);
  }

  static void shot(WebDriver d, String name) throws Exception {
    Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
  }

  void signIn(WebDriver d, String phone) {
    awaitTrue(d, "sign-in", x -> x.findElement(By.id("signin-phone")).isDisplayed());
    d.findElement(By.id("signin-phone")).sendKeys(phone);
    d.findElement(By.cssSelector("#signin-phone-form button[type=submit]")).click();
    awaitTrue(d, "code box", x -> x.findElement(By.id("signin-code")).isDisplayed());
    JsonNode msgs = api.get("/dev/sms/messages?to=" + phone.replace("+", "%2B"), null).json();
    String text = msgs.get(msgs.size() - 1).path("body").asText();
    d.findElement(By.id("signin-code")).sendKeys(text.replaceAll("(?s).*?([0-9]{6}).*", "$1"));
    d.findElement(By.cssSelector("#signin-code-form button[type=submit]")).click();
  }

  static boolean live(WebDriver d) {
    return "live".equals(d.findElement(By.id("conn")).getAttribute("data-state"));
  }

  @Test
  @DisplayName("a call for help naming a watch term is marked on the desk; the question reaches the page and the answer the desk")
  void watchAndThreadOnPages() throws Exception {
    Api.Resp created = api.call(HttpMethod.POST, "/api/v1/admin/responders", null,
        "{\"username\":\"watcher\",\"password\":\"a long password\",\"agency\":\"County EMS\","
            + "\"roles\":[\"publisher\"]}", "Authorization", "Bearer " + ADMIN);
    assertEquals(201, created.status(), created.toString());
    String rt = api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"watcher\",\"password\":\"a long password\"}").json().path("token").asText();
    assertEquals(201, api.post("/api/v1/incidents", rt, "{\"code\":\"WEBW\",\"name\":\"Web watch\"}").status());
    assertEquals(200, api.call(HttpMethod.PUT, "/api/v1/incidents/WEBW/watch-terms", rt,
        "{\"terms\":[\"trapped\",\"atrapado\"]}").status());

    WebDriver desk = phone();
    desk.get(url("/responder"));
    awaitTrue(desk, "login form", x -> x.findElement(By.id("username")).isDisplayed());
    desk.findElement(By.id("username")).sendKeys("watcher");
    desk.findElement(By.id("password")).sendKeys("a long password");
    desk.findElement(By.cssSelector("#login-form button[type=submit]")).click();
    awaitTrue(desk, "incident list", d -> d.findElement(By.id("incident")).getText().contains("WEBW"));
    awaitTrue(desk, "live", TriagePagesIT::live);
    awaitTrue(desk, "the terms shown", d -> d.findElement(By.id("watch-terms")).getAttribute("value")
        .equals("trapped\natrapado"));

    String me = "+15559300001";
    WebDriver page = phone();
    page.get(url("/"));
    signIn(page, me);
    awaitTrue(page, "Live", TriagePagesIT::live);
    awaitTrue(page, "incident offered", x -> x.findElements(By.cssSelector("#incident option[value=WEBW]")).size() == 1);
    new org.openqa.selenium.support.ui.Select(page.findElement(By.id("incident"))).selectByValue("WEBW");
    page.findElement(By.id("note")).sendKeys("TRAPPED in the lift");
    page.findElement(By.id("help")).click();
    awaitTrue(page, "waiting", x -> "open".equals(x.findElement(By.id("help-state")).getAttribute("data-state")));

    By high = By.cssSelector("#help li.high[data-priority=high]");
    awaitTrue(desk, "the match marked", d -> d.findElement(high).getText().contains("trapped"));
    awaitTrue(desk, "the term marked in the note", d -> "TRAPPED".equals(
        d.findElement(By.cssSelector("#help li.high .note mark")).getText()));
    shot(desk, "triage-watch-match");

    desk.findElement(By.xpath("//ul[@id='help']/li[contains(@class,'high')]//button[starts-with(text(),'Messages')]"))
        .click();
    awaitTrue(desk, "thread open", d -> d.findElement(By.cssSelector("#help li.high .thread-send input")).isDisplayed());
    desk.findElement(By.cssSelector("#help li.high .thread-send input")).sendKeys("How many people are with you?");
    desk.findElement(By.cssSelector("#help li.high .thread-send button[type=submit]")).click();

    awaitTrue(page, "the question on the page", x -> x.findElement(
        By.cssSelector("#help-thread li[data-from=responder]")).getText().contains("How many people are with you?"));
    assertTrue(page.findElement(By.cssSelector("#help-thread li[data-from=responder]")).getText().contains("County EMS"));
    page.findElement(By.id("help-text")).sendKeys("Two of us");
    page.findElement(By.cssSelector("#help-reply button[type=submit]")).click();
    awaitTrue(page, "my answer listed", x -> x.findElement(By.cssSelector("#help-thread li[data-from=person]"))
        .getText().contains("Two of us"));
    shot(page, "triage-thread-page");

    awaitTrue(desk, "the answer on the desk", d -> d.findElement(
        By.cssSelector("#help li.high ul.thread li[data-from=person]")).getText().contains("Two of us"));
    shot(desk, "triage-thread-desk");
  }
}
