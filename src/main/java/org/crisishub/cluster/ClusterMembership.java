package org.crisishub.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of its Hazelcast cluster: whether it is in it, how many members it has, and the
 * highest relay protocol version every member reads (from the {@value #RELAY_VERSION_ATTRIBUTE}
 * member attribute that {@link HazelcastSetup} sets; a member without it runs a release before the
 * relay codec and reads {@link RelayCodec#V0} only).
 *
 * <p>Thread-safe. The version is updated on Hazelcast's event thread as soon as the member list
 * changes, so a node that joins running the previous release gets the previous form from the next
 * message on. The change callback runs later, on a Vert.x context.
 */
public final class ClusterMembership {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);
  /** The member attribute naming the relay protocol version a member reads (a decimal integer). */
  public static final String RELAY_VERSION_ATTRIBUTE = "crisis-hub.relay.version";
  /** After a change, how long the new view is given to settle before the callback runs. */
  static final long SETTLE_MS = 500;

  private final Vertx vertx;
  private final HazelcastClusterManager manager;
  private volatile int relayVersion = RelayCodec.V0;
  private volatile boolean stopped;
  private UUID registration;

  public ClusterMembership(Vertx vertx, HazelcastClusterManager manager) {
    this.vertx = vertx;
    this.manager = manager;
  }

  /**
   * Starts following the member list. {@code onChange} runs on a Vert.x context {@value #SETTLE_MS} ms
   * after each member joins or leaves (not after {@link #stop()}).
   */
  public synchronized void start(Runnable onChange) {
    registration = hazelcast().getCluster().addMembershipListener(new InitialMembershipListener() {
      @Override
      public void init(InitialMembershipEvent e) {
        update(e.getMembers());
      }

      @Override
      public void memberAdded(MembershipEvent e) {
        update(e.getMembers());
        changed(onChange);
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        update(e.getMembers());
        changed(onChange);
      }
    });
  }

  private void update(Collection<Member> members) {
    List<String> versions = new ArrayList<>(members.size());
    for (Member m : members) {
      versions.add(m.getAttribute(RELAY_VERSION_ATTRIBUTE));
    }
    int v = lowestRelayVersion(versions);
    if (v != relayVersion) {
      LOG.info("cluster relay messages now in version {} ({} members)", v, members.size());
    }
    relayVersion = v;
  }

  private void changed(Runnable onChange) {
    // Hazelcast's event thread: hop onto Vert.x, give the new view a moment, then act.
    vertx.runOnContext(v -> vertx.setTimer(SETTLE_MS, t -> {
      if (!stopped) {
        onChange.run();
      }
    }));
  }

  /**
   * The relay version every member reads: the lowest advertised, {@link RelayCodec#V0} for a member
   * that advertises none (or something unreadable), never above {@link RelayCodec#CURRENT}.
   *
   * @param advertised each member's {@value #RELAY_VERSION_ATTRIBUTE} attribute, null when absent
   */
  static int lowestRelayVersion(Collection<String> advertised) {
    int lowest = RelayCodec.CURRENT;
    for (String a : advertised) {
      int v;
      try {
        v = a == null ? RelayCodec.V0 : Integer.parseInt(a);
      } catch (NumberFormatException e) {
        v = RelayCodec.V0;
      }
      lowest = Math.max(RelayCodec.V0, Math.min(lowest, v));
    }
    return lowest;
  }

  /** The version in which relay messages go out now. */
  public int relayVersion() {
    return relayVersion;
  }

  /** Members of the cluster as this node sees it; 0 while out of the cluster. */
  public int nodes() {
    return up() ? manager.getNodes().size() : 0;
  }

  /** False while this node is out of its cluster (Hazelcast not running). */
  public boolean up() {
    return manager.isActive() && hazelcast().getLifecycleService().isRunning();
  }

  /** Stops the callbacks and the listener. Idempotent. */
  public synchronized void stop() {
    stopped = true;
    if (registration != null) {
      try {
        hazelcast().getCluster().removeMembershipListener(registration);
      } catch (RuntimeException e) {
        LOG.debug("membership listener not removed (out of the cluster): {}", e.toString());
      }
      registration = null;
    }
  }

  private HazelcastInstance hazelcast() {
    return manager.getHazelcastInstance();
  }
}
