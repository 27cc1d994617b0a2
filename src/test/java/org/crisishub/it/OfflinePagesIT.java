package org.crisishub.it;

import static org.crisishub.support.WsClient.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crisishub.support.Api;
import org.crisishub.support.LinkProxy;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
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
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The pages when the network does not work, in real headless Chromium. The browser reaches the hub
 * through {@link LinkProxy}, a loopback proxy the test cuts (connections reset and refused) or makes
 * silent (nothing passes, nothing closes); DevTools offline emulation would reach neither the
 * service worker nor an open WebSocket. Screenshots at 360×740 go to target/screenshots/.
 */
@DisplayName("Pages offline: saved check-ins sent once, SMS fallback, live help state, honest Live badge")
class OfflinePagesIT {
  static final String ADMIN = "offline-test-admin-token-0123456789";
  static final String SMS_NUMBER = "+15550001234";
  static final Path SHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static LinkProxy link;
  final List<WebDriver> browsers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(SHOTS);
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_SMS_NUMBER", SMS_NUMBER));
    api = new Api(hub.vertx, hub.port());
    link = new LinkProxy(hub.port());
  }

  @AfterAll
  static void stop() throws Exception {
    link.close();
    api.close();
    hub.close();
  }

  @AfterEach
  void closeBrowsers() {
    link.up();
    browsers.forEach(WebDriver::quit);
  }

  WebDriver phone(String... extraArgs) throws Exception {
    WebDriver d = org.crisishub.support.HeadlessChromium.open(dir, 360, 740, extraArgs);
    browsers.add(d);
    return d;
  }


  /** Through the proxy: what the browser sees as the hub. */
  static String url(String path) {
    return "http://127.0.0.1:" + link.port() + path;
  }

  static void awaitTrue(WebDriver d, String what, java.util.function.Function<WebDriver, Boolean> cond) {
    new WebDriverWait(d, WAIT).withMessage(what)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .ignoring(org.openqa.selenium.NoSuchElementException.class).until(cond::apply);
  }

  static void await(WebDriver d, By by) {
    new WebDriverWait(d, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  static String attr(WebDriver d, By by, String name) {
    return new WebDriverWait(d, WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(x -> x.findElement(by).getAttribute(name));
  }

  static void shot(WebDriver d, String name) throws Exception {
    Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
  }

  static Object js(WebDriver d, String script) {
    return ((JavascriptExecutor) d).executeScript(script);
  }

  void signIn(WebDriver d, String phone) {
    await(d, By.id("signin-phone"));
    d.findElement(By.id("signin-phone")).sendKeys(phone);
    d.findElement(By.cssSelector("#signin-phone-form button[type=submit]")).click();
    await(d, By.id("signin-code"));
    JsonNode msgs = api.get("/dev/sms/messages?to=" + phone.replace("+", "%2B"), null).json();
    String text = msgs.get(msgs.size() - 1).path("body").asText();
    d.findElement(By.id("signin-code")).sendKeys(text.replaceAll("(?s).*?([0-9]{6}).*", "$1"));
    d.findElement(By.cssSelector("#signin-code-form button[type=submit]")).click();
  }

  /** The page is controlled by the service worker, which has kept the pages for offline use. */
  static void awaitOfflineReady(WebDriver d) {
    awaitTrue(d, "service worker in control with its cache", x -> Boolean.TRUE.equals(((JavascriptExecutor) x)
        .executeAsyncScript("const done = arguments[arguments.length - 1];"
            + "if (!navigator.serviceWorker.controller) { done(false); return; }"
            + "caches.keys().then(k => done(k.some(n => n.startsWith('crisis-hub-'))));")));
  }

  static boolean live(WebDriver d) {
    return "live".equals(d.findElement(By.id("conn")).getAttribute("data-state"));
  }

  static String responderToken(String user, String agency) {
    return api.responder(ADMIN, user, "a long password", agency, "[\"publisher\",\"approver\"]");
  }

  @Test
  @DisplayName("a check-in tapped with the hub unreachable is saved, offers SMS, survives closing the page, and arrives once")
  void offlineCheckInArrivesOnce() throws Exception {
    String me = "+15559200001";
    WebDriver d = phone();
    d.get(url("/"));
    signIn(d, me);
    awaitTrue(d, "Live", OfflinePagesIT::live);
    awaitOfflineReady(d);

    link.down();
    long cut = System.nanoTime();
    awaitTrue(d, "badge leaves Live", x -> !live(x));
    assertTrue((System.nanoTime() - cut) / 1_000_000 < 10_000, "left Live within 10 s");
    d.findElement(By.id("note")).sendKeys("under the bridge, dry");
    d.findElement(By.id("safe")).click();
    awaitTrue(d, "saved on this phone", x -> x.findElement(By.id("queued")).isDisplayed()
        && x.findElement(By.id("queued")).getText().contains("Saved on this phone — will send when connected"));
    awaitTrue(d, "SMS fallback", x -> x.findElement(By.id("sms-fallback")).isDisplayed());
    assertEquals("sms:" + SMS_NUMBER + "?body=SAFE%20under%20the%20bridge%2C%20dry",
        d.findElement(By.id("sms-fallback")).getAttribute("href"));
    shot(d, "offline-saved");

    // Close the page, open it again while the hub is still unreachable: it loads, the check-in still waits.
    String first = d.getWindowHandle();
    d.switchTo().newWindow(WindowType.TAB);
    String second = d.getWindowHandle();
    d.switchTo().window(first).close();
    d.switchTo().window(second);
    d.get(url("/"));
    await(d, By.id("checkin"));
    awaitTrue(d, "still saved after reopening", x -> "1".equals(x.findElement(By.id("queued")).getAttribute("data-count")));
    assertTrue(!live(d), "not Live while the hub is unreachable");
    shot(d, "offline-reopened");

    String token = api.login(me);
    assertEquals(404, api.get("/api/v1/people/" + me + "/status", token).status(), "nothing arrived yet");

    link.up();
    awaitTrue(d, "sent once the link returns", x -> x.findElement(By.id("queued")).getAttribute("hidden") != null
        && x.findElement(By.id("result")).getText().startsWith("Sent at"));
    JsonNode history = api.get("/api/v1/people/" + me + "/checkins", token).json();
    assertEquals(1, history.size(), history.toString());
    JsonNode c = history.get(0);
    assertEquals("under the bridge, dry", c.path("note").asText());
    assertTrue(Instant.parse(c.path("madeAt").asText()).isBefore(Instant.parse(c.path("at").asText())),
        "made offline before it arrived: " + c);
    // Another round of sending (a reload flushes again) sends nothing more.
    d.navigate().refresh();
    awaitTrue(d, "Live again", OfflinePagesIT::live);
    ((JavascriptExecutor) d).executeAsyncScript("const done = arguments[arguments.length - 1];"
        + "HubQueue.flush().then(done);");
    assertEquals(1, api.get("/api/v1/people/" + me + "/checkins", token).json().size(), "exactly once");
    shot(d, "offline-sent");

    // One saved more than 24 h ago (as after a long outage) is dropped, not sent, and the page says so.
    ((JavascriptExecutor) d).executeAsyncScript("const done = arguments[arguments.length - 1];"
        + "HubQueue.add({ key: 'too-old-1', token: localStorage.getItem('hub.token'), phone: localStorage.getItem('hub.phone'),"
        + " body: { status: 'safe', madeAt: new Date(Date.now() - 25 * 3600 * 1000).toISOString() } })"
        + ".then(() => HubQueue.flush()).then(done);");
    awaitTrue(d, "dropped and said so", x -> x.findElement(By.id("dropped")).isDisplayed()
        && x.findElement(By.id("dropped")).getText().startsWith("1 check-in(s) saved more than 24 hours ago were not sent"));
    assertEquals(1, api.get("/api/v1/people/" + me + "/checkins", token).json().size(), "the old one was not sent");
    shot(d, "offline-dropped");
  }

  @Test
  @DisplayName("on plain HTTP away from localhost (no service worker) the page says so, and still sends a saved check-in once while open")
  void insecureContextQueuesWhileOpen() throws Exception {
    // insecure.test resolves to the proxy on loopback, but is not a secure context for the browser.
    WebDriver d = phone("--host-resolver-rules=MAP insecure.test 127.0.0.1");
    String me = "+15559200005";
    d.get("http://insecure.test:" + link.port() + "/");
    signIn(d, me);
    awaitTrue(d, "Live", OfflinePagesIT::live);
    assertEquals(Boolean.FALSE, js(d, "return window.isSecureContext;"));
    assertTrue(d.findElement(By.id("insecure")).isDisplayed());
    assertTrue(d.findElement(By.id("insecure")).getText().contains("kept only while this page stays open"));
    link.down();
    awaitTrue(d, "badge leaves Live", x -> !live(x));
    d.findElement(By.id("help")).click();
    awaitTrue(d, "saved", x -> "1".equals(x.findElement(By.id("queued")).getAttribute("data-count")));
    shot(d, "offline-insecure");
    link.up();
    awaitTrue(d, "sent", x -> x.findElement(By.id("queued")).getAttribute("hidden") != null
        && x.findElement(By.id("result")).getAttribute("data-id") != null);
    String token = api.login(me);
    assertEquals(1, api.get("/api/v1/people/" + me + "/checkins", token).json().size());
  }

  @Test
  @DisplayName("the check-in page loads with the hub down once visited; the family board does too, not Live")
  void pagesLoadWithHubDown() throws Exception {
    WebDriver d = phone();
    d.get(url("/"));
    await(d, By.id("signin-phone"));
    awaitOfflineReady(d);
    d.get(url("/follow"));
    await(d, By.tagName("main"));
    link.down();
    d.get(url("/"));
    await(d, By.id("signin-phone"));
    assertEquals("Tell your people you are safe", d.findElement(By.tagName("h1")).getText());
    shot(d, "offline-index");
    d.get(url("/follow"));
    await(d, By.tagName("h1"));
    assertEquals("Family board", d.findElement(By.tagName("h1")).getText());
  }

  @Test
  @DisplayName("a help request from the page names its incident, reaches the responder, and the acknowledgement shows live and after a reload")
  void helpRequestAcknowledgedLive() throws Exception {
    String rt = responderToken("rescuer", "Red Cross");
    Api.Resp inc = api.post("/api/v1/incidents", rt, "{\"code\":\"QUAKEW\",\"name\":\"Valley quake\","
        + "\"area\":{\"type\":\"circle\",\"lat\":10,\"lon\":10,\"radiusM\":5000}}");
    assertEquals(201, inc.status(), inc.text());
    try (WsClient desk = WsClient.authed(hub.vertx, hub.port(), rt)) {
      assertEquals("ack", desk.reply(desk.send(frame("subscribe").put("incident", "QUAKEW"))).path("type").asText());
      String me = "+15559200002";
      WebDriver d = phone();
      d.get(url("/"));
      signIn(d, me);
      awaitTrue(d, "Live", OfflinePagesIT::live);
      awaitTrue(d, "incident offered", x -> "QUAKEW".equals(x.findElement(By.id("incident")).getAttribute("value")));
      d.findElement(By.id("note")).sendKeys("stuck in the lift");
      d.findElement(By.id("help")).click();
      awaitTrue(d, "sent to the incident", x -> x.findElement(By.id("result")).getText()
          .contains("Help request sent to QUAKEW"));
      JsonNode help = desk.next("help");
      assertEquals("QUAKEW", help.path("checkin").path("incident").asText());
      assertEquals("stuck in the lift", help.path("checkin").path("note").asText());
      String id = help.path("checkin").path("id").asText();
      awaitTrue(d, "waiting", x -> "open".equals(x.findElement(By.id("help-state")).getAttribute("data-state")));

      assertEquals(200, api.post("/api/v1/help/" + id + "/ack", rt, null).status());
      awaitTrue(d, "acknowledged live", x -> "acknowledged".equals(x.findElement(By.id("help-state"))
          .getAttribute("data-state")));
      assertTrue(d.findElement(By.id("help-state")).getText().startsWith("Seen by Red Cross at"),
          d.findElement(By.id("help-state")).getText());
      shot(d, "help-acknowledged");
      d.navigate().refresh();
      awaitTrue(d, "kept across reloads", x -> "acknowledged".equals(x.findElement(By.id("help-state"))
          .getAttribute("data-state")));
      assertEquals(200, api.post("/api/v1/help/" + id + "/resolve", rt, null).status());
      awaitTrue(d, "resolved live", x -> "resolved".equals(x.findElement(By.id("help-state")).getAttribute("data-state")));
      // Spanish too.
      d.findElement(By.cssSelector("header .lang button[data-lang=es]")).click();
      awaitTrue(d, "Spanish", x -> x.findElement(By.id("help-state")).getText().startsWith("Resuelto por Red Cross"));
      shot(d, "help-resolved-es");
    }
  }

  @Test
  @DisplayName("the board leaves Live within 10 s of a silent link, and approval and revocation change it live")
  void boardHonestAndFollowLive() throws Exception {
    String alice = "+15559200003";
    String bob = "+15559200004";
    String ta = api.login(alice);
    WebDriver d = phone();
    d.get(url("/follow"));
    signIn(d, bob);
    awaitTrue(d, "Live", OfflinePagesIT::live);

    // A dead network: nothing closes, nothing answers. Only the page's own ping can tell.
    link.silent();
    long cut = System.nanoTime();
    awaitTrue(d, "badge leaves Live", x -> !live(x));
    long ms = (System.nanoTime() - cut) / 1_000_000;
    assertTrue(ms <= 10_000, "left Live after " + ms + " ms");
    shot(d, "board-not-live");
    link.up();
    awaitTrue(d, "Live again", OfflinePagesIT::live);

    d.findElement(By.id("follow-phone")).sendKeys(alice);
    d.findElement(By.cssSelector("#follow-form button[type=submit]")).click();
    By card = By.cssSelector("#cards article[data-phone='" + alice + "']");
    awaitTrue(d, "pending", x -> "pending".equals(x.findElement(card).getAttribute("data-follow")));
    assertEquals(201, api.post("/api/v1/checkins", ta, "{\"status\":\"safe\",\"note\":\"at home\"}").status());
    assertEquals(200, api.post("/api/v1/followers/" + bob, ta, "{\"allow\":true}").status());
    awaitTrue(d, "approved live", x -> "active".equals(x.findElement(card).getAttribute("data-follow"))
        && "safe".equals(x.findElement(card).getAttribute("data-status")));
    assertTrue(d.findElement(By.id("follow-result")).getText().contains("agreed"));
    shot(d, "board-approved");
    assertEquals(200, api.post("/api/v1/followers/" + bob, ta, "{\"allow\":false}").status());
    awaitTrue(d, "revoked live", x -> "revoked".equals(x.findElement(card).getAttribute("data-follow")));
    assertEquals("", attr(d, card, "data-status"), "nothing of hers is shown any more");
    shot(d, "board-revoked");
  }
}
