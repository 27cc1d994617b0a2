package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Pages for people under stress, in real headless Chromium at 360×740, in English and in Spanish:
 * a server error in the page's language, the signed-in number in E.164 form, who was told of a
 * check-in (and how to invite family), the last check-in sent, a follower's own name for a person on
 * the board with clock time and "N min ago", translated CAP words, and an unknown incident said
 * plainly. Every page is kept as a screenshot: target/screenshots/people-{page}-{lang}.png.
 */
@DisplayName("Pages in both languages: errors, names, times, who was told (screenshots at 360×740)")
class PeoplePagesIT {
  static final String ADMIN = "people-pages-admin-token-0123456789";
  static final Path SHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(SHOTS);
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_ADMIN_TOKEN", ADMIN));
    api = new Api(hub.vertx, hub.port());
    Api.Resp created = api.call(HttpMethod.POST, "/api/v1/admin/responders", null,
        "{\"username\":\"pages\",\"password\":\"a long password\",\"agency\":\"Red Cross\","
            + "\"roles\":[\"publisher\",\"approver\"]}", "Authorization", "Bearer " + ADMIN);
    assertEquals(201, created.status(), created.toString());
    String rt = api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"pages\",\"password\":\"a long password\"}").json().path("token").asText();
    assertEquals(201, api.post("/api/v1/incidents", rt, "{\"code\":\"PAGES1\",\"name\":\"River flood\"}").status());
    Api.Resp draft = api.post("/api/v1/notices", rt, "{\"incident\":\"PAGES1\",\"headline\":\"Shelter open\","
        + "\"body\":\"Lincoln High is open.\",\"severity\":\"Severe\",\"urgency\":\"Immediate\","
        + "\"certainty\":\"Observed\"}");
    assertEquals(201, draft.status(), draft.text());
    String id = draft.json().path("id").asText();
    assertEquals(200, api.post("/api/v1/notices/" + id + "/approve", rt, "{}").status());
    assertEquals(200, api.post("/api/v1/notices/" + id + "/publish", rt, "{}").status());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  WebDriver phone() throws Exception {
    return org.crisishub.support.HeadlessChromium.open(dir, 360, 740);
  }


  static String url(String path) {
    return "http://127.0.0.1:" + hub.port() + path;
  }

  static String text(WebDriver d, By by, java.util.function.Predicate<String> ok, String what) {
    return new WebDriverWait(d, WAIT).withMessage(what)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .ignoring(org.openqa.selenium.NoSuchElementException.class)
        .until(x -> {
          String t = x.findElement(by).getText();
          return ok.test(t) ? t : null;
        });
  }

  static void shot(WebDriver d, String name) throws Exception {
    Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
  }

  static void language(WebDriver d, String lang) {
    new WebDriverWait(d, WAIT).until(x -> !x.findElements(By.cssSelector("header .lang button")).isEmpty());
    d.findElement(By.cssSelector("header .lang button[data-lang=" + lang + "]")).click();
  }

  static String lastCode(String phone) {
    JsonNode msgs = api.get("/dev/sms/messages?to=" + phone.replace("+", "%2B"), null).json();
    return msgs.get(msgs.size() - 1).path("body").asText().replaceAll("(?s).*?([0-9]{6}).*", "$1");
  }

  /** Signs in with the number as a person types it; a wrong code first, to see the error's text. */
  static void signIn(WebDriver d, String typed, String e164, String badCodeText) {
    new WebDriverWait(d, WAIT).until(x -> x.findElement(By.id("signin-phone")).isDisplayed());
    d.findElement(By.id("signin-phone")).sendKeys(typed);
    d.findElement(By.cssSelector("#signin-phone-form button[type=submit]")).click();
    new WebDriverWait(d, WAIT).until(x -> x.findElement(By.id("signin-code")).isDisplayed());
    String code = lastCode(e164);
    String wrong = code.equals("000000") ? "111111" : "000000";
    if (badCodeText != null) {
      d.findElement(By.id("signin-code")).sendKeys(wrong);
      d.findElement(By.cssSelector("#signin-code-form button[type=submit]")).click();
      text(d, By.cssSelector("#signin .error"), t -> t.contains(badCodeText), "the wrong code's error, translated");
      d.findElement(By.id("signin-code")).clear();
    }
    d.findElement(By.id("signin-code")).sendKeys(code);
    d.findElement(By.cssSelector("#signin-code-form button[type=submit]")).click();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "en, 5557400001, 5557400002, Wrong or expired code, Responders of PAGES1 told., Nobody follows you yet,"
          + " Last sent: Needs help, 1 follower(s) told., Severe · Immediate · Observed, There is no incident NOPE99,"
          + " ago",
      "es, 5557400011, 5557400012, Código incorrecto o vencido, Avisamos a los equipos de PAGES1.,"
          + " Todavía nadie lo sigue, Último envío: Necesita ayuda, Avisamos a 1 seguidor(es).,"
          + " Grave · Inmediata · Observada, No existe el incidente NOPE99, hace"})
  @DisplayName("each page in the language chosen")
  void pages(String lang, String personTyped, String familyTyped, String badCode, String toldResponders,
      String nobody, String lastSent, String toldOne, String capWords, String unknown, String ago) throws Exception {
    String person = "+1" + personTyped;
    String family = "+1" + familyTyped;
    WebDriver d = phone();
    try {
      // Check-in page: sign in with a national number, a wrong code first.
      d.get(url("/"));
      language(d, lang);
      signIn(d, personTyped, person, badCode);
      assertEquals(person, text(d, By.id("me"), t -> !t.isEmpty(), "signed in"), "E.164 in the header");
      new WebDriverWait(d, WAIT).until(x -> x.findElements(By.cssSelector("#incident option[value=PAGES1]")).size() == 1);
      new org.openqa.selenium.support.ui.Select(d.findElement(By.id("incident"))).selectByValue("PAGES1");
      d.findElement(By.id("help")).click();
      String told = text(d, By.id("result"), t -> t.contains(toldResponders), "who was told");
      assertTrue(told.contains(nobody) && told.contains(person), "how to invite family: " + told);
      assertFalse(told.contains(" 0 "), told);
      String last = text(d, By.id("last"), t -> t.startsWith(lastSent), "the last check-in sent");
      assertTrue(last.matches("(?s).*\\d\\d:\\d\\d.*"), "a clock time: " + last);
      shot(d, "people-checkin-" + lang);

      // The person's family follows them; the person agrees.
      String familyToken = api.login(family);
      String personToken = api.login(person);
      assertEquals(201, api.post("/api/v1/follows", familyToken, "{\"phone\":\"" + person + "\"}").status());
      assertEquals(200, api.post("/api/v1/followers/" + family.replace("+", "%2B"), personToken,
          "{\"allow\":true}").status());
      d.findElement(By.id("note")).sendKeys("at the shelter");
      d.findElement(By.id("safe")).click();
      text(d, By.id("result"), t -> t.contains(toldOne), "one follower told");
      ((org.openqa.selenium.JavascriptExecutor) d).executeScript("arguments[0].scrollIntoView({block: 'center'})",
          d.findElement(By.id("result")));
      shot(d, "people-checkin-told-" + lang);
      d.findElement(By.id("signout")).click();

      // The family's board: their own name for the person, clock time and "N min ago".
      d.get(url("/follow"));
      signIn(d, familyTyped, family, null);
      By card = By.cssSelector("article.card[data-phone='" + person + "']");
      text(d, card, t -> t.contains("at the shelter"), "the card");
      String input = "label-" + person.replaceAll("\\D", "");
      d.findElement(By.id(input)).sendKeys(lang.equals("es") ? "Mamá" : "Mom");
      d.findElement(By.cssSelector("article.card[data-phone='" + person + "'] .label-form button")).click();
      String named = text(d, By.cssSelector("article.card[data-phone='" + person + "'] h3"),
          t -> t.equals(lang.equals("es") ? "Mamá" : "Mom"), "the card named by the label");
      assertFalse(named.isEmpty());
      String since = text(d, By.cssSelector("article.card[data-phone='" + person + "'] .since"),
          t -> t.matches("\\d{1,2}:\\d\\d.* · .*"), "clock time · ago");
      assertTrue(since.contains(ago) || since.contains(lang.equals("es") ? "ahora" : "just now"), since);
      assertEquals(lang.equals("es") ? "Mamá" : "Mom",
          api.get("/api/v1/follows", familyToken).json().get(0).path("label").asText());
      shot(d, "people-board-" + lang);

      // Official notices: CAP words in the page's language; an unknown incident said plainly.
      d.get(url("/incidents/PAGES1"));
      text(d, By.cssSelector("#notices article"), t -> t.contains(capWords), "CAP words translated");
      shot(d, "people-incident-" + lang);
      d.get(url("/incidents/NOPE99"));
      text(d, By.id("unknown"), t -> t.contains(unknown), "the unknown incident");
      assertFalse(d.findElement(By.id("conn")).isDisplayed(), "no endless Connecting…");
      shot(d, "people-incident-unknown-" + lang);

      d.get(url("/responder"));
      text(d, By.cssSelector("h1"), t -> !t.isEmpty(), "responder page");
      shot(d, "people-responder-" + lang);
    } finally {
      d.quit();
    }
  }
}
