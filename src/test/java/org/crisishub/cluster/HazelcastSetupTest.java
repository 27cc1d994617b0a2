package org.crisishub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.crisishub.config.HubConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Hazelcast configuration from conf/hazelcast.yaml and the HUB_CLUSTER_* settings")
class HazelcastSetupTest {
  static HubConfig config(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("HUB_CLUSTER", "true", "HUB_STORE", "redis",
        "HUB_TOKEN_SECRET", "x".repeat(40), "HUB_CLUSTER_HOST", "10.0.0.5", "HUB_CLUSTER_PORT", "5710"));
    env.putAll(extra);
    return HubConfig.load(env);
  }

  @Test
  @DisplayName("TCP join: multicast off, the listed members plus this node, fixed port, Vert.x maps kept")
  void tcp() {
    Config c = HazelcastSetup.config(config(Map.of("HUB_CLUSTER_MEMBERS", "10.0.0.6:5710,10.0.0.7:5710")));
    assertFalse(c.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertTrue(c.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.6:5710", "10.0.0.7:5710", "10.0.0.5:5710"),
        c.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals(5710, c.getNetworkConfig().getPort());
    assertFalse(c.getNetworkConfig().isPortAutoIncrement());
    assertEquals("10.0.0.5:5710", c.getNetworkConfig().getPublicAddress());
    assertEquals("SET", c.getMultiMapConfig("__vertx.subs").getValueCollectionType().name());
    assertEquals("10", c.getProperty("hazelcast.max.no.heartbeat.seconds"));
    assertEquals(String.valueOf(RelayCodec.CURRENT),
        c.getMemberAttributeConfig().getAttribute(ClusterMembership.RELAY_VERSION_ATTRIBUTE));
  }

  @Test
  @DisplayName("Kubernetes join: DNS of the headless service, TCP-IP off")
  void kubernetes() {
    Config c = HazelcastSetup.config(config(Map.of("HUB_CLUSTER_JOIN", "kubernetes",
        "HUB_K8S_SERVICE_DNS", "crisis-hub-cluster.crisis.svc.cluster.local", "HUB_CLUSTER_HOST", "0.0.0.0")));
    assertFalse(c.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled());
    assertTrue(c.getNetworkConfig().getJoin().getKubernetesConfig().isEnabled());
    assertEquals("crisis-hub-cluster.crisis.svc.cluster.local",
        c.getNetworkConfig().getJoin().getKubernetesConfig().getProperty("service-dns"));
  }
}
