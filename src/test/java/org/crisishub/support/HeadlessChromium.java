package org.crisishub.support;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium ({@code /usr/bin/chromium}) driven through chromium-driver, as the page
 * tests use it: no background networking (this machine's network is closed), a fresh profile in a
 * test folder, and phone emulation so the page gets exactly the given viewport (headless windows have
 * a minimum width).
 */
public final class HeadlessChromium {
  private HeadlessChromium() {
  }

  /**
   * A desktop browser (no phone emulation: a mouse, no touch) whose page is {@code width} ×
   * {@code height} CSS pixels, with its profile under {@code dir}. The caller quits it.
   */
  public static WebDriver openDesktop(Path dir, int width, int height) throws Exception {
    ChromeOptions o = new ChromeOptions();
    o.setBinary("/usr/bin/chromium");
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        "--window-size=" + width + "," + height, "--lang=en-US",
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    ChromeDriver d = new ChromeDriver(service, o);
    // The window's size includes room for browser bars: the page itself gets exactly width × height.
    d.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
    d.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    return d;
  }

  /**
   * A browser of {@code width} × {@code height} CSS pixels with its profile under {@code dir};
   * {@code extraArgs} are further Chromium switches. The caller quits it.
   */
  public static WebDriver open(Path dir, int width, int height, String... extraArgs) throws Exception {
    ChromeOptions o = new ChromeOptions();
    o.setBinary("/usr/bin/chromium");
    List<String> args = new ArrayList<>(List.of("--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage", "--window-size=" + width + "," + height, "--lang=en-US",
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium")));
    args.addAll(List.of(extraArgs));
    o.addArguments(args);
    o.setExperimentalOption("mobileEmulation", Map.of("deviceMetrics",
        Map.of("width", width, "height", height, "pixelRatio", 1.0, "touch", true)));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    WebDriver d = new ChromeDriver(service, o);
    d.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    return d;
  }
}
