package org.crisishub.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests (k8s/) and the Dockerfile keep the invariants operations depend on. No
 * cluster is needed: the YAML is parsed and checked here.
 */
@DisplayName("Kubernetes manifests and Dockerfile")
class ManifestsTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final List<JsonNode> OBJECTS = new ArrayList<>();
  static final Properties CONF = new Properties();

  record Doc(Path file, JsonNode node) {
  }

  static final List<Doc> DOCS = new ArrayList<>();

  @BeforeAll
  static void load() throws IOException {
    try (Stream<Path> files = Files.walk(Path.of("k8s"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
          .toList()) {
        try (YAMLParser parser = new YAMLFactory().createParser(f.toFile())) {
          var it = YAML.readValues(parser, JsonNode.class);
          while (it.hasNext()) {
            JsonNode n = it.next();
            if (n != null && !n.isNull() && !n.isMissingNode()) {
              DOCS.add(new Doc(f, n));
              if (n.has("kind") && !n.path("kind").asText().equals("Kustomization")) {
                OBJECTS.add(n);
              }
            }
          }
        }
      }
    }
    DOCS.add(new Doc(Path.of("conf/kustomization.yaml"), YAML.readTree(Path.of("conf/kustomization.yaml").toFile())));
    try (Reader r = Files.newBufferedReader(Path.of("conf/hub.properties"))) {
      CONF.load(r);
    }
  }

  static JsonNode object(String kind, String name) {
    return OBJECTS.stream().filter(o -> o.path("kind").asText().equals(kind)
        && o.path("metadata").path("name").asText().equals(name)
        && !o.path("metadata").has("namespace")).filter(o -> o.path("spec").size() > 0 || !kind.equals("Deployment"))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in k8s/base"));
  }

  /** The base's objects (the overlay's patches are partial objects of the same names). */
  static List<JsonNode> base() {
    List<JsonNode> out = new ArrayList<>();
    for (Doc d : DOCS) {
      if (d.file().startsWith(Path.of("k8s", "base")) && d.node().has("kind")
          && !d.node().path("kind").asText().equals("Kustomization")) {
        out.add(d.node());
      }
    }
    return out;
  }

  static JsonNode baseObject(String kind, String name) {
    return base().stream().filter(o -> o.path("kind").asText().equals(kind)
        && o.path("metadata").path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in k8s/base"));
  }

  static JsonNode hubContainer() {
    return baseObject("Deployment", "crisis-hub").path("spec").path("template").path("spec").path("containers").get(0);
  }

  static Map<String, Integer> ports(JsonNode container) {
    Map<String, Integer> m = new HashMap<>();
    for (JsonNode p : container.path("ports")) {
      m.put(p.path("name").asText(), p.path("containerPort").asInt());
    }
    return m;
  }

  @Test
  @DisplayName("every kustomization names files and folders that exist")
  void kustomizationsResolve() {
    int n = 0;
    for (Doc d : DOCS) {
      if (!d.node().path("kind").asText().equals("Kustomization")) {
        continue;
      }
      n++;
      Path dir = d.file().getParent();
      List<String> refs = new ArrayList<>();
      d.node().path("resources").forEach(r -> refs.add(r.asText()));
      d.node().path("patches").forEach(p -> refs.add(p.path("path").asText()));
      d.node().path("configMapGenerator").forEach(g -> g.path("files").forEach(f -> refs.add(f.asText())));
      for (String ref : refs) {
        Path target = dir.resolve(ref.contains("=") ? ref.substring(ref.indexOf('=') + 1) : ref).normalize();
        assertTrue(Files.exists(target), d.file() + " names " + ref + ", which does not exist");
        if (Files.isDirectory(target)) {
          assertTrue(Files.exists(target.resolve("kustomization.yaml")), target + " has no kustomization.yaml");
        }
      }
    }
    assertTrue(n >= 3, "base, overlay and conf kustomizations");
  }

  @Test
  @DisplayName("the hub's probes, ports and cluster settings agree with conf/hub.properties")
  void hubProbesAndPorts() {
    JsonNode c = hubContainer();
    Map<String, Integer> ports = ports(c);
    assertEquals(Integer.parseInt(CONF.getProperty("HUB_HTTP_PORT")), ports.get("http"));
    assertEquals(Integer.parseInt(CONF.getProperty("HUB_CLUSTER_PORT")), ports.get("hazelcast"));
    assertEquals(Integer.parseInt(CONF.getProperty("HUB_EVENTBUS_PORT")), ports.get("eventbus"));
    assertEquals("/health/ready", c.path("readinessProbe").path("httpGet").path("path").asText());
    assertEquals("/health/live", c.path("livenessProbe").path("httpGet").path("path").asText());
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      String port = c.path(probe).path("httpGet").path("port").asText();
      assertTrue(ports.containsKey(port) || port.equals(String.valueOf(ports.get("http"))), probe + " port " + port);
    }
    Map<String, String> env = new HashMap<>();
    for (JsonNode e : c.path("env")) {
      env.put(e.path("name").asText(), e.path("value").asText(null));
      String name = e.path("name").asText();
      assertTrue(name.startsWith("HUB_") ? CONF.containsKey(name) : List.of("POD_IP", "POD_NAMESPACE",
          "REDIS_PASSWORD", "JAVA_TOOL_OPTIONS").contains(name), "unknown variable " + name);
    }
    assertEquals("true", env.get("HUB_CLUSTER"));
    assertEquals("redis", env.get("HUB_STORE"));
    assertEquals("kubernetes", env.get("HUB_CLUSTER_JOIN"));
    JsonNode headless = baseObject("Service", "crisis-hub-cluster");
    assertEquals("None", headless.path("spec").path("clusterIP").asText());
    assertTrue(env.get("HUB_K8S_SERVICE_DNS").startsWith("crisis-hub-cluster."), env.get("HUB_K8S_SERVICE_DNS"));
    assertEquals("$(POD_IP)", env.get("HUB_CLUSTER_HOST"));
    List<Integer> headlessPorts = new ArrayList<>();
    headless.path("spec").path("ports").forEach(p -> headlessPorts.add(p.path("port").asInt()));
    assertTrue(headlessPorts.contains(ports.get("hazelcast")) && headlessPorts.contains(ports.get("eventbus")));
    // The graceful stop fits in the grace period.
    int grace = baseObject("Deployment", "crisis-hub").path("spec").path("template").path("spec")
        .path("terminationGracePeriodSeconds").asInt();
    assertTrue(grace >= Integer.parseInt(env.get("HUB_SHUTDOWN_DELAY_SECONDS")) + 20, "grace " + grace);
    assertTrue(c.path("args").isMissingNode() || !c.path("args").toString().contains("-Xmx"),
        "heap follows the memory limit (MaxRAMPercentage), no fixed -Xmx");
    assertTrue(env.get("JAVA_TOOL_OPTIONS").contains("MaxRAMPercentage"));
  }

  @Test
  @DisplayName("selectors match the labels of the pods they mean")
  void selectorsMatchLabels() {
    List<JsonNode> workloads = base().stream()
        .filter(o -> List.of("Deployment", "StatefulSet").contains(o.path("kind").asText())).toList();
    assertEquals(2, workloads.size());
    for (JsonNode w : workloads) {
      assertTrue(contains(w.path("spec").path("template").path("metadata").path("labels"),
          w.path("spec").path("selector").path("matchLabels")), w.path("metadata").path("name").asText());
    }
    for (JsonNode o : base()) {
      JsonNode selector = switch (o.path("kind").asText()) {
        case "Service" -> o.path("spec").path("selector");
        case "PodDisruptionBudget" -> o.path("spec").path("selector").path("matchLabels");
        case "NetworkPolicy" -> o.path("spec").path("podSelector").path("matchLabels");
        default -> null;
      };
      if (selector == null) {
        continue;
      }
      assertTrue(workloads.stream().anyMatch(w -> contains(w.path("spec").path("template").path("metadata")
          .path("labels"), selector)), o.path("kind").asText() + " " + o.path("metadata").path("name").asText()
          + " selects no pods");
    }
    JsonNode hpa = baseObject("HorizontalPodAutoscaler", "crisis-hub");
    assertEquals("crisis-hub", hpa.path("spec").path("scaleTargetRef").path("name").asText());
    assertTrue(hpa.path("spec").path("minReplicas").asInt() >= 2);
    JsonNode spread = baseObject("Deployment", "crisis-hub").path("spec").path("template").path("spec")
        .path("topologySpreadConstraints");
    assertTrue(spread.toString().contains("topology.kubernetes.io/zone"), "spread across zones");
  }

  static boolean contains(JsonNode labels, JsonNode selector) {
    if (!selector.isObject() || selector.size() == 0) {
      return false;
    }
    for (var e : selector.properties()) {
      if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }

  @Test
  @DisplayName("no secret is committed: no Secret object, every credential comes from a secretKeyRef")
  void noSecretsInline() throws IOException {
    for (Doc d : DOCS) {
      assertFalse(d.node().path("kind").asText().equals("Secret"), d.file() + " commits a Secret");
      assertFalse(d.node().has("secretGenerator"), d.file() + " generates a Secret from committed values");
    }
    for (JsonNode o : OBJECTS) {
      for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
        for (JsonNode e : c.path("env")) {
          String name = e.path("name").asText();
          if (name.matches(".*(SECRET|TOKEN|PASSWORD|ACCOUNT_SID|FROM).*")) {
            assertTrue(e.path("valueFrom").has("secretKeyRef"), name + " must come from a Secret");
          }
        }
      }
    }
    try (Stream<Path> files = Files.walk(Path.of("k8s"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(f);
        assertFalse(text.matches("(?s).*AC[0-9a-f]{32}.*"), f + " holds a Twilio account SID");
      }
    }
  }

  @Test
  @DisplayName("every container runs non-root on a read-only root filesystem, without capabilities, with limits")
  void hardened() {
    int n = 0;
    for (JsonNode o : base()) {
      JsonNode pod = o.path("spec").path("template").path("spec");
      for (JsonNode c : pod.path("containers")) {
        n++;
        String who = o.path("metadata").path("name").asText() + "/" + c.path("name").asText();
        assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean(), who);
        assertTrue(c.path("securityContext").path("readOnlyRootFilesystem").asBoolean(), who);
        assertFalse(c.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true), who);
        assertEquals("[\"ALL\"]", c.path("securityContext").path("capabilities").path("drop").toString(), who);
        for (String r : List.of("requests", "limits")) {
          assertTrue(c.path("resources").path(r).has("memory") && c.path("resources").path(r).has("cpu"), who + " " + r);
        }
        assertNotNull(c.get("readinessProbe"), who + " readiness probe");
        assertNotNull(c.get("livenessProbe"), who + " liveness probe");
      }
    }
    assertEquals(2, n);
  }

  @Test
  @DisplayName("Redis keeps everything: AOF with appendfsync always on a persistent volume, reachable only by hub pods")
  void redisDurableAndFenced() throws IOException {
    String conf = Files.readString(Path.of("k8s/base/redis.conf"));
    assertTrue(conf.lines().anyMatch(l -> l.strip().equals("appendonly yes")));
    assertTrue(conf.lines().anyMatch(l -> l.strip().equals("appendfsync always")));
    JsonNode redis = baseObject("StatefulSet", "crisis-hub-redis");
    assertEquals(1, redis.path("spec").path("replicas").asInt(), "one primary");
    assertEquals("data", redis.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText());
    JsonNode policy = baseObject("NetworkPolicy", "crisis-hub-redis");
    JsonNode ingress = policy.path("spec").path("ingress");
    assertEquals(1, ingress.size());
    assertEquals("crisis-hub", ingress.get(0).path("from").get(0).path("podSelector").path("matchLabels").path("app")
        .asText());
    JsonNode hubPolicy = baseObject("NetworkPolicy", "crisis-hub");
    boolean clusterPortsFenced = false;
    for (JsonNode rule : hubPolicy.path("spec").path("ingress")) {
      String ports = rule.path("ports").toString();
      if (ports.contains("5701")) {
        clusterPortsFenced = rule.path("from").toString().contains("crisis-hub") && ports.contains("5801");
      }
      if (!rule.has("from")) {
        assertFalse(ports.contains("5701") || ports.contains("5801"), "cluster ports open to anyone");
      }
    }
    assertTrue(clusterPortsFenced);
  }

  @Test
  @DisplayName("the example overlay renders (kubectl kustomize): namespace, image, generated ConfigMaps wired, site env merged")
  void overlayRenders() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl"))
        || Files.isExecutable(Path.of("/usr/local/bin/kubectl")), "kubectl is not installed here");
    Process p = new ProcessBuilder("kubectl", "kustomize", "k8s/overlays/example").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    List<JsonNode> rendered = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(out)) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(rendered::add);
    }
    Map<String, JsonNode> byKindName = new HashMap<>();
    for (JsonNode o : rendered) {
      byKindName.put(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText(), o);
      if (!List.of("Namespace").contains(o.path("kind").asText())) {
        assertEquals("crisis-hub", o.path("metadata").path("namespace").asText(), o.path("metadata").toString());
      }
    }
    JsonNode deploy = byKindName.get("Deployment/crisis-hub");
    JsonNode pod = deploy.path("spec").path("template").path("spec");
    assertEquals("registry.example.org/crisis-hub:1.0.0", pod.path("containers").get(0).path("image").asText());
    for (JsonNode v : pod.path("volumes")) {
      if (v.has("configMap")) {
        String name = v.path("configMap").path("name").asText();
        assertTrue(byKindName.containsKey("ConfigMap/" + name), "volume names a generated ConfigMap: " + name);
      }
    }
    String env = pod.path("containers").get(0).path("env").toString();
    assertTrue(env.contains("HUB_PUBLIC_URL") && env.contains("HUB_CLUSTER_JOIN"), "site env merged into the base's");
  }

  @Test
  @DisplayName("Dockerfile: multi-stage, JRE base, non-root user, exec-form entrypoint, the three ports")
  void dockerfile() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("Dockerfile")).stream().map(String::strip)
        .filter(l -> !l.startsWith("#") && !l.isEmpty()).toList();
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertTrue(froms.size() >= 2, "multi-stage");
    assertTrue(froms.get(froms.size() - 1).contains("-jre"), "runs on a JRE: " + froms.get(froms.size() - 1));
    String user = lines.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    assertFalse(user.matches("USER (root|0)(:.*)?"), user);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("ENTRYPOINT [")), "exec form: java gets SIGTERM");
    String expose = lines.stream().filter(l -> l.startsWith("EXPOSE ")).findFirst().orElseThrow();
    for (String k : List.of("HUB_HTTP_PORT", "HUB_CLUSTER_PORT", "HUB_EVENTBUS_PORT")) {
      assertTrue(expose.contains(CONF.getProperty(k)), k);
    }
    if (!Files.exists(Path.of(".dockerignore"))) {
      fail(".dockerignore keeps target/ out of the build context");
    }
  }

  @Test
  @DisplayName("pom.xml: -DskipTests skips the integration tests (failsafe) too, not only the unit tests")
  void skipTestsSkipsEverything() throws Exception {
    var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    org.w3c.dom.Document pom = factory.newDocumentBuilder().parse(Path.of("pom.xml").toFile());
    var xpath = javax.xml.xpath.XPathFactory.newInstance().newXPath();
    String profile = "/project/profiles/profile[activation/property/name='skipTests' and not(activation/property/value)]";
    assertEquals("true", xpath.evaluate(profile + "/properties/skipITs", pom).strip(),
        "failsafe 3.x binds only skipITs to a user property: the skipTests profile must set it");
    assertEquals("true", xpath.evaluate(profile + "/properties/test.prerequisites.skip", pom).strip());
    String failsafe = "/project/build/plugins/plugin[artifactId='maven-failsafe-plugin']";
    assertEquals(1.0, xpath.evaluate("count(" + failsafe + ")", pom, javax.xml.xpath.XPathConstants.NUMBER));
    assertEquals(0.0, xpath.evaluate("count(" + failsafe + "//skipITs | " + failsafe + "//skipTests | " + failsafe
        + "//skip)", pom, javax.xml.xpath.XPathConstants.NUMBER), "failsafe's own configuration would override skipITs");
    String docker = Files.readString(Path.of("Dockerfile"));
    assertTrue(docker.contains("-DskipTests package"), "the image builds with -DskipTests");
  }
}
