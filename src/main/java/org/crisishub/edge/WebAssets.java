package org.crisishub.edge;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pages and their assets, read once from the jar into memory (about 350 KB with Leaflet) and served with
 * content-hash {@code ETag}s. Pages name each asset with its version ({@code /assets/hub.js?v=<hash>});
 * a request carrying the current version may be cached for a year ({@code immutable}), anything else
 * is {@code no-cache} (revalidated by {@code If-None-Match}, answered 304). The service worker
 * ({@code /sw.js}) is written with the hub's asset version and the list of versioned URLs to keep
 * offline, so a new release replaces the cached copies. Immutable after construction; thread-safe.
 */
public final class WebAssets {
  /** Files under {@code web/assets/} that the service worker keeps for offline use. */
  private static final List<String> ASSETS = List.of("hub.js", "hub.css", "checkin.js", "follow.js", "incident.js",
      "responder.js", "ed25519.js", "queue.js", "icon-192.png", "icon-512.png", "icon.svg");
  /**
   * Files under {@code web/assets/} of the responder desk (loaded only at desk width, docs/web.md): served,
   * never precached by the service worker, so a phone never downloads them.
   */
  private static final List<String> DESK_ASSETS = List.of("desk.js", "desk.css");
  /**
   * Leaflet's files from the WebJar {@code org.webjars.npm:leaflet} (the npm package as a jar, see pom.xml),
   * served as {@code /assets/vendor/leaflet/<file>}; like the desk's files, never precached.
   */
  private static final List<String> LEAFLET = List.of("leaflet.js", "leaflet.css", "images/layers.png",
      "images/layers-2x.png", "images/marker-icon.png", "images/marker-icon-2x.png", "images/marker-shadow.png");
  private static final String LEAFLET_PREFIX = "vendor/leaflet/";
  private static final Pattern ASSET_REF = Pattern.compile("/assets/([A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*)");
  private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8", "png", "image/png", "svg", "image/svg+xml", "html", "text/html; charset=utf-8",
      "webmanifest", "application/manifest+json");

  /** One file as served: its bytes, content type and ETag. */
  record File(Buffer body, String type, String etag, String version) {
  }

  private final Map<String, File> assets = new LinkedHashMap<>();
  private final Map<String, File> pages = new LinkedHashMap<>();
  private final File serviceWorker;
  private final File manifest;
  private final String version;
  private final String leafletVersion;

  private static final class Holder {
    static final WebAssets SHARED = new WebAssets();
  }

  /** The hub's one instance (read from the jar on first use). */
  public static WebAssets shared() {
    return Holder.SHARED;
  }

  private WebAssets() {
    StringBuilder all = new StringBuilder();
    for (String name : ASSETS) {
      byte[] bytes = read("web/assets/" + name);
      String hash = hash(bytes);
      assets.put(name, new File(Buffer.buffer(bytes), type(name), '"' + hash + '"', hash));
      all.append(name).append(hash);
    }
    for (String name : DESK_ASSETS) {
      byte[] bytes = read("web/assets/" + name);
      String hash = hash(bytes);
      assets.put(name, new File(Buffer.buffer(bytes), type(name), '"' + hash + '"', hash));
      all.append(name).append(hash);
    }
    leafletVersion = readLeafletVersion();
    for (String name : LEAFLET) {
      byte[] bytes = read("META-INF/resources/webjars/leaflet/" + leafletVersion + "/dist/" + name);
      String hash = hash(bytes);
      assets.put(LEAFLET_PREFIX + name, new File(Buffer.buffer(bytes), type(name), '"' + hash + '"', hash));
      all.append(name).append(hash);
    }
    for (String page : List.of("index.html", "follow.html", "responder.html", "incident.html")) {
      pages.put(page, versioned(page));
    }
    manifest = versioned("manifest.webmanifest");
    for (File p : pages.values()) {
      all.append(p.version());
    }
    version = hash(all.append(manifest.version()).toString().getBytes(StandardCharsets.UTF_8));
    // What the service worker keeps for offline use: the check-in and family pages, every asset.
    StringBuilder urls = new StringBuilder("['/', '/follow', '/manifest.webmanifest'");
    for (String name : ASSETS) {
      if (!name.equals("icon-512.png")) {
        urls.append(", '").append(url(name)).append('\'');
      }
    }
    urls.append(']');
    String sw = new String(read("web/sw.js"), StandardCharsets.UTF_8)
        .replace("'__VERSION__'", '\'' + version + '\'').replace("['__PRECACHE__']", urls.toString())
        .replace("'__QUEUE_JS__'", '\'' + url("queue.js") + '\'');
    byte[] swBytes = sw.getBytes(StandardCharsets.UTF_8);
    serviceWorker = new File(Buffer.buffer(swBytes), type("js"), '"' + hash(swBytes) + '"', hash(swBytes));
  }

  /** The version of the bundled Leaflet (the npm package's, from its WebJar), e.g. {@code 1.9.4}. */
  public String leafletVersion() {
    return leafletVersion;
  }

  /** Reads the WebJar's Maven coordinates to find the folder its files are in. */
  private static String readLeafletVersion() {
    java.util.Properties p = new java.util.Properties();
    try (InputStream in = WebAssets.class.getClassLoader()
        .getResourceAsStream("META-INF/maven/org.webjars.npm/leaflet/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the Leaflet WebJar (org.webjars.npm:leaflet) is missing from the classpath");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  /** The release's version: a hash over every page and asset. */
  public String version() {
    return version;
  }

  /** {@code /assets/<name>?v=<hash>}: the versioned URL of an asset. */
  public String url(String name) {
    File f = assets.get(name);
    return f == null ? "/assets/" + name : "/assets/" + name + "?v=" + f.version();
  }

  /** A file's text with every {@code /assets/<name>} reference made versioned. */
  private File versioned(String file) {
    String text = new String(read("web/" + file), StandardCharsets.UTF_8);
    Matcher m = ASSET_REF.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(url(m.group(1))));
    }
    m.appendTail(out);
    byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
    String hash = hash(bytes);
    return new File(Buffer.buffer(bytes), type(file), '"' + hash + '"', hash);
  }

  /**
   * Serves {@code /assets/<name>} ({@code name} may be {@code vendor/leaflet/leaflet.js} and the like);
   * false when there is no such asset (the caller answers 404).
   */
  public boolean asset(RoutingContext ctx, String name) {
    File f = assets.get(name);
    if (f == null) {
      return false;
    }
    boolean current = f.version().equals(ctx.request().getParam("v"));
    send(ctx, f, current ? "public, max-age=31536000, immutable" : "no-cache");
    return true;
  }

  /** Serves a page ({@code index.html}, …): revalidated on every load, so a release shows at once. */
  public void page(RoutingContext ctx, String file) {
    send(ctx, pages.get(file), "no-cache");
  }

  /** Serves {@code /sw.js}: never cached by HTTP (browsers check it for updates). */
  public void serviceWorker(RoutingContext ctx) {
    send(ctx, serviceWorker, "no-cache");
  }

  /** Serves {@code /manifest.webmanifest}. */
  public void manifest(RoutingContext ctx) {
    send(ctx, manifest, "no-cache");
  }

  private static void send(RoutingContext ctx, File f, String cacheControl) {
    var res = ctx.response().putHeader("Cache-Control", cacheControl).putHeader("ETag", f.etag());
    String inm = ctx.request().getHeader("If-None-Match");
    if (inm != null && (inm.equals(f.etag()) || inm.equals("W/" + f.etag()))) {
      res.setStatusCode(304).end();
      return;
    }
    // HEAD arrives here as GET (HttpApi routes it so): Vert.x leaves the body out.
    res.putHeader("Content-Type", f.type()).end(f.body());
  }

  private static String type(String name) {
    return TYPES.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream");
  }

  private static byte[] read(String resource) {
    try (InputStream in = WebAssets.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing web resource " + resource);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String hash(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
