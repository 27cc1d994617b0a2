package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web pages in a real browser: Debian's headless Chromium driven by Selenium through
 * chromium-driver, against an in-process hub (dev SMS: one-time codes are read from its dev SMS
 * endpoint, as a person reads their phone). Screenshots at 360×740 go to target/screenshots/.
 */
@DisplayName("Web pages in headless Chromium")
class WebPagesIT {
  static final String ADMIN = "web-test-admin-token-0123456789";
  static final Path SHOTS = Path.of("target", "screenshots");

  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  final List<WebDriver> browsers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    for (String bin : new String[] {"/usr/bin/chromium", "/usr/bin/chromedriver"}) {
      assertTrue(Files.isExecutable(Path.of(bin)), bin + " is missing: apt-get install -y chromium chromium-driver"
          + " (.ci/run does it)");
    }
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

  /** A new browser of its own (separate profile: separate storage, like a second phone). */
  WebDriver browser(int width, int height) throws Exception {
    WebDriver d = org.crisishub.support.HeadlessChromium.open(dir, width, height);
    d.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    browsers.add(d);
    return d;
  }


  WebDriver phone() throws Exception {
    return browser(360, 740);
  }

  String url(String path) {
    return "http://127.0.0.1:" + hub.port() + path;
  }

  static WebElement await(WebDriver d, By by) {
    return new WebDriverWait(d, Duration.ofSeconds(15)).until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  static void awaitTrue(WebDriver d, String what, java.util.function.Function<WebDriver, Boolean> cond) {
    // Live pages re-render their lists: an element found a moment ago may be gone; look again.
    new WebDriverWait(d, Duration.ofSeconds(15)).withMessage(what)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(cond::apply);
  }

  /** Clicks what {@code by} finds, again if the list it is in re-rendered meanwhile (live updates do that). */
  static void click(WebDriver d, By by) {
    new WebDriverWait(d, Duration.ofSeconds(15)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(x -> {
          x.findElement(by).click();
          return true;
        });
  }

  static String text(WebDriver d, By by) {
    return new WebDriverWait(d, Duration.ofSeconds(15)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(x -> x.findElement(by).getText());
  }

  static void shot(WebDriver d, String name) throws Exception {
    Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
  }

  /** Signs in on the page's sign-in box, reading the code from the dev SMS outbox. */
  void signIn(WebDriver d, String phone) {
    await(d, By.id("signin-phone")).sendKeys(phone);
    d.findElement(By.cssSelector("#signin-phone-form button[type=submit]")).click();
    WebElement code = await(d, By.id("signin-code"));
    JsonNode msgs = api.get("/dev/sms/messages?to=" + phone.replace("+", "%2B"), null).json();
    String text = msgs.get(msgs.size() - 1).path("body").asText();
    code.sendKeys(text.replaceAll("(?s).*?([0-9]{6}).*", "$1"));
    d.findElement(By.cssSelector("#signin-code-form button[type=submit]")).click();
  }

  @Test
  @DisplayName("check in on / and see the card change live on /follow in another browser; approve a follow request")
  void checkInSeenLive() throws Exception {
    String alice = "+15559100001";
    String bob = "+15559100002";
    WebDriver bobs = phone();
    WebDriver alices = phone();
    bobs.get(url("/follow"));
    shot(bobs, "follow-signin");
    signIn(bobs, bob);
    await(bobs, By.id("board"));
    alices.get(url("/follow"));
    signIn(alices, alice);
    await(alices, By.id("board"));

    // Bob asks to follow Alice; Alice approves on her board.
    bobs.findElement(By.id("follow-phone")).sendKeys(alice);
    bobs.findElement(By.cssSelector("#follow-form button[type=submit]")).click();
    awaitTrue(bobs, "asked", d -> d.findElement(By.id("follow-result")).getText().contains(alice));
    await(alices, By.cssSelector("#incoming li[data-phone='" + bob + "']"));
    shot(alices, "follow-request");
    click(alices, By.cssSelector("#incoming li[data-phone='" + bob + "'] button.safe"));
    await(alices, By.cssSelector("#followers li[data-phone='" + bob + "']"));

    // Alice checks in on / ; Bob's card changes without a reload.
    awaitTrue(bobs, "live connection", d -> "live".equals(d.findElement(By.id("conn")).getAttribute("data-state")));
    alices.get(url("/"));
    await(alices, By.id("checkin"));
    alices.findElement(By.id("note")).sendKeys("at the school gym");
    alices.findElement(By.id("safe")).click();
    awaitTrue(alices, "the result", d -> "1".equals(d.findElement(By.id("result")).getAttribute("data-notified")));
    assertTrue(alices.findElement(By.id("result")).getText().contains("1 follower"));
    shot(alices, "checkin");
    By safeCard = By.cssSelector("#cards article[data-phone='" + alice + "'][data-status=safe]");
    await(bobs, safeCard);
    String card = text(bobs, safeCard);
    assertTrue(card.contains("at the school gym") && card.contains("Safe"), card);
    String seq = new WebDriverWait(bobs, Duration.ofSeconds(15))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(x -> x.findElement(safeCard).getAttribute("data-seq"));

    // She asks for help; the card turns again, still live.
    alices.findElement(By.id("note")).clear();
    alices.findElement(By.id("note")).sendKeys("ankle hurt");
    alices.findElement(By.id("help")).click();
    By helpCard = By.cssSelector("#cards article[data-phone='" + alice + "'][data-status=need_help][data-seq='"
        + (Long.parseLong(seq) + 1) + "']");
    await(bobs, helpCard);
    assertTrue(text(bobs, helpCard).contains("Needs help"), text(bobs, helpCard));
    shot(bobs, "follow-board");

    // Spanish on the same page.
    bobs.findElement(By.cssSelector("header .lang button[data-lang=es]")).click();
    awaitTrue(bobs, "Spanish", d -> d.findElement(By.cssSelector("#cards article[data-phone='" + alice + "']"))
        .getText().contains("Necesita ayuda"));
    assertEquals("es", bobs.findElement(By.tagName("html")).getAttribute("lang"));
    shot(bobs, "follow-board-es");
  }

  @Test
  @DisplayName("a notice published from /responder shows as verified on /incidents/{code}; a tampered one does not")
  void noticeVerifiedTamperedNot() throws Exception {
    Api.Resp created = api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/admin/responders", null,
        "{\"username\":\"webdispatch\",\"password\":\"a long password\",\"agency\":\"County EMS\","
            + "\"roles\":[\"publisher\",\"approver\"]}", "Authorization", "Bearer " + ADMIN);
    assertEquals(201, created.status(), created.toString());
    String rt = api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"webdispatch\",\"password\":\"a long password\"}").json().path("token").asText();
    assertEquals(201, api.post("/api/v1/incidents", rt, "{\"code\":\"WEB1\",\"name\":\"Web flood\"}").status());

    WebDriver console = phone();
    console.get(url("/responder"));
    await(console, By.id("username")).sendKeys("webdispatch");
    console.findElement(By.id("password")).sendKeys("a long password");
    console.findElement(By.cssSelector("#login-form button[type=submit]")).click();
    awaitTrue(console, "incident list", d -> d.findElement(By.id("incident")).getText().contains("WEB1"));
    awaitTrue(console, "live", d -> "live".equals(d.findElement(By.id("conn")).getAttribute("data-state")));
    // A call for help naming the incident reaches the console live; acknowledge, then resolve it.
    String caller = "+15559100009";
    String ct = api.login(caller);
    assertEquals(201, api.post("/api/v1/checkins", ct,
        "{\"status\":\"need_help\",\"incident\":\"WEB1\",\"note\":\"trapped on the roof\"}").status());
    await(console, By.cssSelector("#help li[data-state=open]"));
    String call = text(console, By.cssSelector("#help li[data-state=open]"));
    assertTrue(call.contains(caller) && call.contains("trapped on the roof"), call);
    click(console, By.xpath("//ul[@id='help']/li[@data-state='open']//button[text()='Acknowledge']"));
    await(console, By.cssSelector("#help li[data-state=acknowledged]"));
    click(console, By.xpath("//ul[@id='help']/li[@data-state='acknowledged']//button[text()='Resolve']"));
    awaitTrue(console, "resolved", d -> d.findElements(By.cssSelector("#help li[data-id]")).isEmpty());
    console.findElement(By.id("headline")).sendKeys("Shelter open at Lincoln High");
    console.findElement(By.id("body")).sendKeys("Bring water and medicine.");
    console.findElement(By.cssSelector("#draft-form button[type=submit]")).click();
    await(console, By.cssSelector("#notices li[data-state=draft]"));
    shot(console, "responder");
    click(console, By.xpath("//ul[@id='notices']/li[@data-state='draft']//button[text()='Publish']"));
    await(console, By.cssSelector("#notices li[data-state=published]"));

    WebDriver reader = phone();
    reader.get(url("/incidents/web1"));
    WebElement notice = await(reader, By.cssSelector("#notices article[data-verified=true]"));
    assertTrue(notice.getText().contains("Verified: signed by County EMS"), notice.getText());
    assertTrue(notice.getText().contains("Shelter open at Lincoln High"));
    String id = notice.getAttribute("data-id"); // the list re-renders when notices arrive
    awaitTrue(reader, "live", d -> "live".equals(d.findElement(By.id("conn")).getAttribute("data-state")));

    // A second notice arrives live, verified too.
    String draft2 = api.post("/api/v1/notices", rt, "{\"incident\":\"WEB1\",\"headline\":\"Water is safe again\","
        + "\"body\":\"Boil notice lifted.\",\"severity\":\"Minor\",\"urgency\":\"Expected\",\"certainty\":\"Observed\"}")
        .json().path("id").asText();
    assertEquals(200, api.post("/api/v1/notices/" + draft2 + "/publish", rt, null).status());
    await(reader, By.cssSelector("#notices article[data-id='" + draft2 + "'][data-verified=true]"));
    shot(reader, "incident");

    // Tamper with the stored notice (as a compromised database or cache would): no longer verified.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub/hub.db"));
         Statement st = c.createStatement()) {
      st.execute("PRAGMA busy_timeout = 10000");
      assertEquals(1, st.executeUpdate("UPDATE notices SET signed_json = replace(signed_json, 'Lincoln High',"
          + " 'the old mill') WHERE id = '" + id + "'"));
    }
    reader.navigate().refresh();
    // Both verdicts are in once neither card is still "undefined" (being checked).
    By tamperedCard = By.cssSelector("#notices article[data-id='" + id + "']");
    By untouchedCard = By.cssSelector("#notices article[data-id='" + draft2 + "']");
    awaitTrue(reader, "verification results", d -> !"undefined".equals(d.findElement(tamperedCard)
        .getAttribute("data-verified")) && !"undefined".equals(d.findElement(untouchedCard).getAttribute("data-verified")));
    await(reader, By.cssSelector("#notices article[data-id='" + id + "'][data-verified=false]"));
    String tampered = text(reader, tamperedCard);
    assertTrue(tampered.contains("the old mill"), tampered);
    assertTrue(tampered.contains("Not verified"), tampered);
    assertFalse(tampered.contains("✓ Verified"), tampered);
    await(reader, By.cssSelector("#notices article[data-id='" + draft2 + "'][data-verified=true]")); // untouched: still verified
    shot(reader, "incident-tampered");

    // The bundled verifier (for browsers without WebCrypto Ed25519) reaches the same verdicts; Chromium
    // itself has WebCrypto Ed25519, so without ?verifier=js that is what it uses.
    reader.get(url("/incidents/web1?verifier=js"));
    await(reader, By.cssSelector("#notices article[data-verifier=js][data-id='" + draft2 + "'][data-verified=true]"));
    await(reader, By.cssSelector("#notices article[data-verifier=js][data-id='" + id + "'][data-verified=false]"));
    // And on RFC 8032's own test vectors (7.1, tests 1 and 2), and one altered byte.
    Object vectors = ((JavascriptExecutor) reader).executeScript(
        "const h = s => Uint8Array.from(s.match(/../g) || [], x => parseInt(x, 16));"
            + "const pk2 = h('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');"
            + "const sig2 = h('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00');"
            + "return [Ed25519Fallback.verify(h('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),"
            + " h('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'), new Uint8Array(0)),"
            + " Ed25519Fallback.verify(pk2, sig2, h('72')), Ed25519Fallback.verify(pk2, sig2, h('73'))];");
    assertEquals(List.of(true, true, false), vectors);
    reader.get(url("/incidents/web1"));
    await(reader, By.cssSelector("#notices article[data-verifier=webcrypto][data-id='" + draft2 + "']"));
  }

  static final String[] PAGES = {"/", "/follow", "/responder", "/incidents/ANY", "/dev/sms"};

  @Test
  @DisplayName("a responder composes and starts a safety check on /responder; a person answers it on / in one tap; the tally arrives live")
  void safetyCheckOnPages() throws Exception {
    Api.Resp created = api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/admin/responders", null,
        "{\"username\":\"websafety\",\"password\":\"a long password\",\"agency\":\"County EMS\","
            + "\"roles\":[\"publisher\"]}", "Authorization", "Bearer " + ADMIN);
    assertEquals(201, created.status(), created.toString());
    String rt = api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"websafety\",\"password\":\"a long password\"}").json().path("token").asText();
    assertEquals(201, api.post("/api/v1/incidents", rt, "{\"code\":\"WEBSC\",\"name\":\"Web check\",\"area\":"
        + "{\"type\":\"circle\",\"lat\":40.0,\"lon\":-105.0,\"radiusM\":2000}}").status());
    // The person was last seen inside the area: in the audience.
    String person = "+15559100077";
    assertEquals(201, api.post("/api/v1/checkins", api.login(person),
        "{\"status\":\"safe\",\"location\":{\"lat\":40.0,\"lon\":-105.0}}").status());

    WebDriver phone = phone();
    phone.get(url("/"));
    signIn(phone, person);
    await(phone, By.id("checkin"));

    WebDriver console = phone();
    console.get(url("/responder"));
    await(console, By.id("username")).sendKeys("websafety");
    console.findElement(By.id("password")).sendKeys("a long password");
    console.findElement(By.cssSelector("#login-form button[type=submit]")).click();
    awaitTrue(console, "incident list", d -> d.findElement(By.id("incident")).getText().contains("WEBSC"));
    new org.openqa.selenium.support.ui.Select(console.findElement(By.id("incident"))).selectByValue("WEBSC");
    awaitTrue(console, "live", d -> "live".equals(d.findElement(By.id("conn")).getAttribute("data-state")));
    console.findElement(By.id("sc-question")).sendKeys("Are you safe from the web flood?");
    console.findElement(By.id("sc-draft")).click();
    await(console, By.cssSelector("#checks li[data-state=draft]"));
    String estimate = text(console, By.cssSelector("#checks li[data-state=draft] .sc-estimate"));
    assertTrue(estimate.contains("1 people") && estimate.contains("segment") && estimate.contains("GSM-7"), estimate);
    click(console, By.cssSelector("#checks li[data-state=draft] button[data-action=start]"));
    await(console, By.cssSelector("#checks li[data-state=running]"));

    // The person's page shows the question and answers it in one tap.
    await(phone, By.id("ask-safe"));
    assertTrue(text(phone, By.id("ask-question")).contains("Are you safe from the web flood?"));
    shot(phone, "safety-check-ask");
    phone.findElement(By.id("ask-safe")).click();
    awaitTrue(phone, "answer sent", d -> d.findElement(By.id("ask-result")).getAttribute("data-answered") != null);
    awaitTrue(console, "the tally arrives live", d -> "1".equals(
        d.findElement(By.cssSelector("#checks li[data-state=running] .sc-tallies")).getAttribute("data-safe")));
    shot(console, "safety-check-console");
  }

  @Test
  @DisplayName("every page with its scripts and styles weighs under 60 KB, loads nothing from elsewhere, is gzipped")
  void pageWeights() {
    Pattern ref = Pattern.compile("(?:src|href)=\"([^\"]+)\"");
    for (String page : PAGES) {
      Api.Resp html = api.get(page, null);
      assertEquals(200, html.status(), page);
      long total = html.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      Matcher m = ref.matcher(html.text());
      while (m.find()) {
        String u = m.group(1);
        assertFalse(u.matches("(?i)(https?:)?//.*"), page + " loads " + u + " from elsewhere");
        if (u.startsWith("/assets/")) {
          Api.Resp a = api.get(u, null);
          assertEquals(200, a.status(), u);
          total += a.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
      }
      assertTrue(total < 60 * 1024, page + " weighs " + total + " bytes");
    }
    Api.Resp gz = api.call(io.vertx.core.http.HttpMethod.GET, "/assets/hub.js", null, null, "Accept-Encoding", "gzip");
    assertEquals("gzip", gz.headers().get("Content-Encoding"));
  }

  @Test
  @DisplayName("at 320 px nothing scrolls sideways, every control has a label, and screenshots at 360×740 are kept")
  void smallScreens() throws Exception {
    WebDriver narrow = browser(320, 700);
    for (String page : PAGES) {
      narrow.get(url(page));
      await(narrow, By.tagName("main"));
      assertEquals(320L, ((JavascriptExecutor) narrow).executeScript("return window.innerWidth;"), "viewport");
      Long overflow = (Long) ((JavascriptExecutor) narrow).executeScript(
          "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
      assertTrue(overflow <= 0, page + " scrolls sideways by " + overflow + " px");
      @SuppressWarnings("unchecked")
      List<String> unlabelled = (List<String>) ((JavascriptExecutor) narrow).executeScript(
          "return [...document.querySelectorAll('input,select,textarea')].filter(e => e.type !== 'hidden'"
              + " && !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id || e.name);");
      assertTrue(unlabelled.isEmpty(), page + ": controls without a label: " + unlabelled);
    }
    WebDriver d = phone();
    for (String page : new String[] {"/", "/follow", "/responder", "/incidents/WEB0", "/dev/sms"}) {
      d.get(url(page));
      await(d, By.tagName("main"));
      shot(d, "page" + page.replace('/', '-').replaceAll("-$", "-index"));
    }
  }
}
