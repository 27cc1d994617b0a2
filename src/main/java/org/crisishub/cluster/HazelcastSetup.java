package org.crisishub.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.YamlConfigBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.crisishub.config.HubConfig;

/**
 * Builds the Hazelcast configuration from {@code conf/hazelcast.yaml} (a {@code conf/} folder in
 * the working directory first, else the copy inside the jar) and the hub's cluster settings.
 * vertx-hazelcast reads XML only, so the YAML is read here with Hazelcast's own builder.
 */
public final class HazelcastSetup {
  private static final String FILE = "conf/hazelcast.yaml";

  private HazelcastSetup() {
  }

  public static Config config(HubConfig hub) {
    Config config;
    try (InputStream in = open()) {
      config = new YamlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new HubConfig.ConfigException("cannot read " + FILE + ": " + e.getMessage());
    }
    HubConfig.Cluster c = hub.clustering();
    // Tells the other members which relay messages this node reads (a rolling upgrade mixes releases).
    config.getMemberAttributeConfig().setAttribute(ClusterMembership.RELAY_VERSION_ATTRIBUTE,
        String.valueOf(RelayCodec.CURRENT));
    config.getNetworkConfig().setPort(c.port()).setPortAutoIncrement(false);
    if (!c.host().equals("0.0.0.0")) {
      // A wildcard host lets Hazelcast pick the address it advertises; anything else is advertised as is.
      config.getNetworkConfig().setPublicAddress(c.host() + ":" + c.port());
      config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(c.host());
      config.setProperty("hazelcast.socket.bind.any", "false");
    }
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (c.join() == HubConfig.ClusterJoin.KUBERNETES) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true).setProperty("service-dns", c.k8sServiceDns())
          .setProperty("service-port", String.valueOf(c.port()));
    } else {
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true);
      for (String m : c.members()) {
        join.getTcpIpConfig().addMember(m);
      }
      // Alone on the list (or an empty list): this node may be the first; it forms the cluster.
      join.getTcpIpConfig().addMember(c.host() + ":" + c.port());
    }
    return config;
  }

  private static InputStream open() throws IOException {
    Path local = Path.of(FILE);
    if (Files.isRegularFile(local)) {
      return Files.newInputStream(local);
    }
    InputStream in = HazelcastSetup.class.getClassLoader().getResourceAsStream(FILE);
    if (in == null) {
      throw new IOException(FILE + " is neither in the working directory nor in the jar");
    }
    return in;
  }
}
