package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crisishub.support.Api;
import org.crisishub.support.HeadlessChromium;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The responder desk (/responder at 1280×800) in headless Chromium, with {@code HUB_MAP_TILES} pointing at a
 * port where nothing listens (tiles unreachable): a located call for help becomes a marker within a second,
 * acknowledging it from the marker changes its colour and the counts, a safety-check answer moves the
 * tallies, and the map still shows the area, the markers and a scale. At 360 px the console stays the phone
 * layout and fetches neither Leaflet nor the desk's files. Screenshots: target/screenshots/desk-*.png.
 */
@DisplayName("Responder desk: the incident at a glance, with a map of who needs help")
class DeskPagesIT {
  static final String ADMIN = "desk-pages-admin-token-0123456789";
  static final Path SHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static String tiles;
  static String rt;
  final List<WebDriver> browsers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(SHOTS);
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort(); // free again once closed: tile requests there are refused
    }
    tiles = "http://127.0.0.1:" + closed + "/{z}/{x}/{y}.png";
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_MAP_TILES", tiles));
    api = new Api(hub.vertx, hub.port());
    api.createResponder(ADMIN, "dispatcher", "County EMS", "[\"publisher\",\"approver\"]");
    rt = api.responderLogin("dispatcher");
    assertEquals(201, api.post("/api/v1/incidents", rt, "{\"code\":\"DESK1\",\"name\":\"Bayou flood\",\"area\":"
        + "{\"type\":\"circle\",\"lat\":29.76,\"lon\":-95.37,\"radiusM\":4000}}").status());
    assertEquals(200, api.call(HttpMethod.PUT, "/api/v1/incidents/DESK1/watch-terms", rt,
        "{\"terms\":[\"trapped\"]}").status());
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

  static Object js(WebDriver d, String script, Object... args) {
    return ((JavascriptExecutor) d).executeScript(script, args);
  }

  static String count(WebDriver d, String key) {
    return d.findElement(By.cssSelector("#desk-counts .tile[data-count=" + key + "] .n")).getText();
  }

  static String pinColour(WebDriver d, String id) {
    return (String) js(d, "return getComputedStyle(document.querySelector('.leaflet-marker-icon[data-id=\"' + arguments[0]"
        + " + '\"]')).backgroundColor;", id);
  }

  void logIn(WebDriver d) {
    d.get(url("/responder"));
    awaitTrue(d, "login form", x -> x.findElement(By.id("username")).isDisplayed());
    // Anything the page's Content-Security-Policy blocks from here on (the desk loads after the log-in).
    js(d, "window.cspBlocked = []; document.addEventListener('securitypolicyviolation',"
        + " e => cspBlocked.push(e.violatedDirective + ' ' + e.blockedURI));");
    d.findElement(By.id("username")).sendKeys("dispatcher");
    d.findElement(By.id("password")).sendKeys("password of dispatcher");
    d.findElement(By.cssSelector("#login-form button[type=submit]")).click();
    awaitTrue(d, "incident list", x -> x.findElement(By.id("incident")).getText().contains("DESK1"));
    awaitTrue(d, "live", x -> "live".equals(x.findElement(By.id("conn")).getAttribute("data-state")));
  }

  /** A located call for help filed by {@code phone} in DESK1; its check-in id. */
  static String callForHelp(String token, String note, double lat, double lon) {
    Api.Resp r = api.post("/api/v1/checkins", token, "{\"status\":\"need_help\",\"note\":\"" + note
        + "\",\"incident\":\"DESK1\",\"location\":{\"lat\":" + lat + ",\"lon\":" + lon + "}}");
    assertEquals(201, r.status(), r.text());
    return r.json().path("id").asText();
  }

  /** The resources a page fetched (resource timing), as {name, bytes} with bytes = decoded body size. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> resources(WebDriver d) {
    return (List<Map<String, Object>>) js(d, "return [performance.getEntriesByType('navigation')[0],"
        + " ...performance.getEntriesByType('resource')].map(e => ({name: e.name, bytes: e.decodedBodySize,"
        + " wire: e.encodedBodySize}));");
  }

  static long bytes(List<Map<String, Object>> rs, String key) {
    return rs.stream().filter(r -> !String.valueOf(r.get("name")).contains("/api/"))
        .mapToLong(r -> ((Number) r.get(key)).longValue()).sum();
  }

  @Test
  @DisplayName("1280×800: a located call for help is a marker within a second; acknowledged from the marker it changes colour"
      + " and the counts; a safety-check answer moves the tallies; with tiles unreachable the area, markers and scale show")
  void deskAtAGlance() throws Exception {
    Api.Resp page = api.get("/responder", null);
    assertTrue(page.headers().get("Content-Security-Policy").contains("img-src 'self' data: http://127.0.0.1:"
        + tiles.replaceAll(".*:(\\d+)/.*", "$1") + ";"), page.headers().get("Content-Security-Policy"));

    WebDriver desk = HeadlessChromium.openDesktop(dir, 1280, 800);
    browsers.add(desk);
    logIn(desk);
    assertEquals(1280L, js(desk, "return window.innerWidth;"));
    awaitTrue(desk, "the desk loaded", d -> "ready".equals(d.findElement(By.tagName("body")).getAttribute("data-desk")));
    awaitTrue(desk, "the area drawn", d -> !d.findElements(By.cssSelector("#desk-map path.desk-area")).isEmpty());
    assertFalse(desk.findElements(By.cssSelector("#desk-map .leaflet-control-scale-line")).isEmpty(), "a scale");
    assertEquals("0", count(desk, "open"));

    // Marker times are taken in the page as the map's DOM changes (a MutationObserver), against the page's
    // clock read just before the call for help is sent.
    js(desk, "window.pinSeen = {}; new MutationObserver(() => document.querySelectorAll('.leaflet-marker-icon[data-id]')"
        + ".forEach(e => { if (!(e.dataset.id in pinSeen)) pinSeen[e.dataset.id] = performance.now(); }))"
        + ".observe(document.getElementById('desk-map'), {subtree: true, childList: true, attributes: true});");
    String person = "+15559400001";
    String token = api.login(person);
    double before = ((Number) js(desk, "return performance.now();")).doubleValue();
    String id = callForHelp(token, "water rising, two adults", 29.761, -95.371);
    awaitTrue(desk, "the marker", d -> js(d, "return window.pinSeen[arguments[0]] !== undefined;", id).equals(true));
    double after = ((Number) js(desk, "return window.pinSeen[arguments[0]];", id)).doubleValue();
    System.out.printf("desk: marker shown %.0f ms after the call for help was sent%n", after - before);
    assertTrue(after - before < 1000, "marker after " + (after - before) + " ms");
    By pin = By.cssSelector(".leaflet-marker-icon[data-id='" + id + "']");
    assertEquals("open", desk.findElement(pin).getAttribute("data-state"));
    assertEquals("rgb(220, 38, 38)", pinColour(desk, id));
    awaitTrue(desk, "counted open", d -> count(d, "open").equals("1"));
    assertEquals("0", count(desk, "acknowledged"));

    // Selecting the marker opens the request and its thread; acknowledging there recolours it and moves the counts.
    desk.findElement(pin).click();
    awaitTrue(desk, "the request opened", d -> id.equals(d.findElement(By.id("desk-selected")).getAttribute("data-id")));
    awaitTrue(desk, "its thread open", d -> d.findElement(By.cssSelector("#desk-selected .thread-send input")).isDisplayed());
    assertTrue(desk.findElement(By.id("desk-selected")).getText().contains("water rising"));
    desk.findElement(By.xpath("//section[@id='desk-selected']//button[text()='Acknowledge']")).click();
    awaitTrue(desk, "acknowledged on the map", d -> "acknowledged".equals(d.findElement(pin).getAttribute("data-state")));
    assertEquals("rgb(29, 78, 216)", pinColour(desk, id));
    awaitTrue(desk, "counts moved", d -> count(d, "open").equals("0") && count(d, "acknowledged").equals("1"));
    awaitTrue(desk, "the list agrees", d -> "acknowledged".equals(
        d.findElement(By.cssSelector("#help li[data-id='" + id + "']")).getAttribute("data-state")));

    // A watch match is a larger, darker marker; reached with the keyboard (Tab stops on markers; Enter opens).
    String second = callForHelp(api.login("+15559400002"), "TRAPPED on the roof", 29.755, -95.36);
    By pin2 = By.cssSelector(".leaflet-marker-icon[data-id='" + second + "']");
    awaitTrue(desk, "the second marker", d -> "high".equals(d.findElement(pin2).getAttribute("data-priority")));
    assertEquals("rgb(127, 29, 29)", pinColour(desk, second));
    assertEquals("0", desk.findElement(pin2).getAttribute("tabindex"));
    assertTrue(desk.findElement(pin2).getAttribute("aria-label").contains("+15559400002"));
    awaitTrue(desk, "watch match counted", d -> count(d, "high").equals("1") && count(d, "open").equals("1"));
    js(desk, "arguments[0].focus();", desk.findElement(pin2));
    desk.switchTo().activeElement().sendKeys(Keys.ENTER);
    awaitTrue(desk, "opened from the keyboard", d -> second.equals(d.findElement(By.id("desk-selected")).getAttribute("data-id")));

    // A safety check started on the desk: its tallies are counted; an answer moves them. Its audience: the two
    // callers, last seen in the area (listed only once they answer: the contract), and a number that joined by SMS.
    String joined = "+15559400003";
    Api.Resp join = api.call(HttpMethod.POST, "/dev/sms/inbound", null, "{\"from\":\"" + joined + "\",\"body\":\"JOIN DESK1\"}");
    assertEquals(200, join.status(), join.text());
    desk.findElement(By.id("sc-question")).sendKeys("Are you safe from the bayou flood?");
    desk.findElement(By.id("sc-draft")).click();
    awaitTrue(desk, "drafted", d -> !d.findElements(By.cssSelector("#checks li[data-state=draft]")).isEmpty());
    desk.findElement(By.cssSelector("#checks li[data-state=draft] button[data-action=start]")).click();
    awaitTrue(desk, "running, counted", d -> !d.findElements(By.cssSelector("#desk-counts .tile[data-count=sc-no_answer]")).isEmpty()
        && count(d, "sc-no_answer").equals("3") && count(d, "sc-safe").equals("0"));
    awaitTrue(desk, "who has not answered", d -> d.findElements(By.cssSelector("#desk-people-list[data-state=no_answer] li[data-phone]"))
        .size() == 1 && d.findElement(By.cssSelector("#desk-people-list li[data-phone]")).getText().contains(joined));
    String check = desk.findElement(By.cssSelector("#checks li[data-state=running]")).getAttribute("data-id");
    assertEquals(201, api.post("/api/v1/safety-checks/" + check + "/answers", token, "{\"status\":\"safe\"}").status());
    awaitTrue(desk, "the answer moved the tallies", d -> count(d, "sc-safe").equals("1") && count(d, "sc-no_answer").equals("2"));
    desk.findElement(By.cssSelector("#desk-people button[data-state=safe]")).click();
    awaitTrue(desk, "who answered safe", d -> d.findElement(By.cssSelector("#desk-people-list[data-state=safe] li[data-phone]"))
        .getText().contains(person));

    // Tiles unreachable: no tile loaded, yet the area, both markers and the scale are on the map.
    awaitTrue(desk, "tiles given up", d -> "unreachable".equals(d.findElement(By.id("desk-map")).getAttribute("data-tiles")));
    assertTrue(desk.findElements(By.cssSelector("#desk-map img.leaflet-tile-loaded")).isEmpty());
    assertEquals(2, desk.findElements(By.cssSelector("#desk-map .leaflet-marker-icon[data-id]")).size());
    assertFalse(desk.findElements(By.cssSelector("#desk-map path.desk-area")).isEmpty());
    assertFalse(desk.findElements(By.cssSelector("#desk-map .leaflet-control-scale-line")).isEmpty());
    assertEquals(List.of(), js(desk, "return window.cspBlocked;"), "blocked by the CSP (tiles from the configured origin are allowed)");
    js(desk, "document.activeElement.blur(); window.scrollTo(0, document.getElementById('desk').offsetTop - 8);");
    shot(desk, "desk-1280-en");

    // The desk's own weight (everything the page fetched but the API), and in Spanish.
    List<Map<String, Object>> rs = resources(desk);
    assertTrue(rs.stream().anyMatch(r -> String.valueOf(r.get("name")).contains("/assets/vendor/leaflet/leaflet.js?v=")));
    System.out.printf("desk: %d bytes (%d on the wire) in %d files%n", bytes(rs, "bytes"), bytes(rs, "wire"), rs.size());
    desk.findElement(By.cssSelector("header .lang button[data-lang=es]")).click();
    awaitTrue(desk, "in Spanish", d -> d.findElement(By.id("desk-title")).getText().equals("El incidente de un vistazo"));
    assertTrue(desk.findElement(pin2).getAttribute("aria-label").startsWith("Pedido de ayuda de +15559400002"));
    shot(desk, "desk-1280-es");
  }

  @Test
  @DisplayName("360×740: the console keeps its phone layout and fetches neither Leaflet nor the desk's files")
  void phoneFetchesNoMap() throws Exception {
    WebDriver phone = HeadlessChromium.open(dir, 360, 740);
    browsers.add(phone);
    logIn(phone);
    awaitTrue(phone, "the queue", d -> d.findElement(By.id("help")).isDisplayed());
    List<Map<String, Object>> rs = resources(phone);
    for (Map<String, Object> r : rs) {
      String name = String.valueOf(r.get("name"));
      assertFalse(name.contains("leaflet") || name.contains("desk."), "a phone fetched " + name);
    }
    assertEquals(null, phone.findElement(By.tagName("body")).getAttribute("data-desk"));
    assertEquals(Boolean.TRUE, js(phone, "return typeof L === 'undefined' && !document.getElementById('desk');"));
    System.out.printf("phone: %d bytes (%d on the wire) in %d files%n", bytes(rs, "bytes"), bytes(rs, "wire"), rs.size());
    shot(phone, "desk-phone-360");
  }

  @Test
  @DisplayName("Leaflet is served by the hub from its WebJar, versioned and cacheable; the help queue lists resolved requests on request")
  void leafletServedAndResolvedListed() {
    String html = api.get("/responder", null).text();
    String js = html.replaceAll("(?s).*data-leaflet-js=\"([^\"]+)\".*", "$1");
    assertTrue(js.startsWith("/assets/vendor/leaflet/leaflet.js?v="), js);
    Api.Resp r = api.get(js, null);
    assertEquals(200, r.status());
    assertTrue(r.text().contains("Leaflet 1.9.4"), "the npm package's build");
    assertTrue(r.headers().get("Cache-Control").contains("immutable"));
    assertEquals(200, api.get("/assets/vendor/leaflet/images/layers.png", null).status());
    assertEquals(404, api.get("/assets/vendor/leaflet/leaflet-src.js", null).status());
    assertEquals(404, api.get("/assets/vendor/leaflet/LICENSE", null).status());

    // Far outside the area (so the desk test's in-area safety-check audience stays two people).
    String id = callForHelp(api.login("+15559400009"), "resolved soon", 31.0, -97.0);
    assertEquals(200, api.post("/api/v1/help/" + id + "/resolve", rt, null).status());
    assertFalse(api.get("/api/v1/incidents/DESK1/help", rt).text().contains(id));
    assertTrue(api.get("/api/v1/incidents/DESK1/help?include=resolved", rt).text().contains(id));
    assertEquals(400, api.get("/api/v1/incidents/DESK1/help?include=everything", rt).status());
  }
}
