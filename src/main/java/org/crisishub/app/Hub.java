package org.crisishub.app;

import org.crisishub.async.Waits;
import org.crisishub.config.HubConfig;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.crisishub.auth.PersonAuth;
import org.crisishub.auth.RateLimiter;
import org.crisishub.auth.TokenService;
import org.crisishub.core.CheckInService;
import org.crisishub.core.FollowService;
import org.crisishub.core.HelpService;
import org.crisishub.notices.NoticeService;
import org.crisishub.notices.NoticeSigner;
import org.crisishub.notices.ResponderAuth;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Phones;
import org.crisishub.keys.TokenKeyFile;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.FanOut;
import org.crisishub.sms.DevSmsSender;
import org.crisishub.sms.OutboxWorker;
import org.crisishub.sms.SmsConversation;
import org.crisishub.sms.SmsSender;
import org.crisishub.sms.TwilioSmsSender;
import org.crisishub.store.Store;
import org.crisishub.store.StoreFactory;
import org.crisishub.cluster.ClusterRelay;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One hub node: wires the store, services, fan-out and HTTP servers, and stops them in order.
 * {@link #start()} completes when the node serves; {@link #stop()} turns readiness off, tells
 * clients to reconnect, finishes queued writes and closes the store.
 */
public final class Hub {
  private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

  private final Vertx vertx;
  private final HubConfig config;
  private final Clock clock = Clock.systemUTC();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicReference<String> deployment = new AtomicReference<>();
  private volatile boolean stopping;
  private Store store;
  private FanOut fanOut;
  private OutboxWorker outbox;
  /** The Twilio sender when {@code HUB_SMS=twilio}: its connections are closed last, at {@link #stop}. */
  private TwilioSmsSender twilio;
  private volatile org.crisishub.core.SafetyCheckService safety;
  private Housekeeping housekeeping;
  private int port;
  private final String nodeId = "node-" + java.util.UUID.randomUUID();
  private HazelcastClusterManager clusterManager;
  private ClusterRelay relay;
  private org.crisishub.cluster.ClusterMembership membership;

  public Hub(Vertx vertx, HubConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  /** In cluster mode: the cluster manager {@code vertx} was built with (for health and membership). */
  public Hub clusterManager(HazelcastClusterManager manager) {
    this.clusterManager = manager;
    return this;
  }

  public Future<Hub> start() {
    config.warnings().forEach(w -> LOG.warn("configuration: {}", w));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    if (config.sms() == HubConfig.SmsMode.DEV) {
      if (config.devSmsOpen()) {
        LOG.warn("!!! dev SMS mode, OPEN (HUB_DEV_SMS_OPEN=true): anyone who reaches this hub reads every SMS,"
            + " one-time codes included, at /dev/sms/messages and texts as any number. Never on a reachable network. !!!");
      } else {
        LOG.info("dev SMS mode: nothing is texted; /dev/sms/* answer loopback clients only (HUB_DEV_SMS_OPEN=true"
            + " opens them to every client)");
      }
    }
    if (!config.rateLimits()) {
      LOG.warn("!!! HUB_RATE_LIMITS=off: every per-number, per-token and per-IP limit is lifted."
          + " Use this only for closed-lab load tests. !!!");
    }
    store = StoreFactory.create(vertx, new StoreFactory.Settings(
        config.store() == HubConfig.StoreKind.REDIS ? StoreFactory.Engine.REDIS : StoreFactory.Engine.EMBEDDED,
        config.dataDir(), config.redisUrl(), config.redisDurability(), config.auditChainDelayMs()),
        registry);
    // Every SMS withheld for an opt-out counts, where it is withheld: here the store's (not queued,
    // dropped at claim); sends refused at send time count where they are sent (outbox, codes).
    store.onSmsOptedOut(org.crisishub.sms.SmsOutcomes.of(registry, "opted_out")::increment);
    Phones phones = new Phones(config.defaultRegion());
    fanOut = new FanOut(registry);
    auditReport = new org.crisishub.core.AuditReport(new org.crisishub.core.AuditService(store.auditTrail()), registry);
    RateLimiter limiter = new RateLimiter(config.rateLimits());
    DevSmsSender devSms = new DevSmsSender(clock);
    twilio = config.sms() == HubConfig.SmsMode.TWILIO
        ? new TwilioSmsSender(vertx, config.twilio().accountSid(), config.twilio().authToken(), config.twilio().from(),
            config.twilio().apiBase(), config.publicUrl(), Duration.ofMillis(config.twilio().timeoutMs()),
            OutboxWorker.inFlightLimit(config.smsRate()))
        : null;
    SmsSender sender = twilio != null ? twilio : devSms;
    // Every send records a 21610 as an opt-out; codes check the opt-out first, the outbox's claim
    // already drops messages to opted-out numbers.
    SmsSender guarded = new org.crisishub.sms.OptOutGuard(store.smsInbound(), sender, clock, true);
    outbox = new OutboxWorker(vertx, store.outbox(), new org.crisishub.sms.OptOutGuard(store.smsInbound(), sender, clock, false),
        new org.crisishub.sms.StatusNotices(store.checkInLog(), store.followGraph(), config.timezone()), new OutboxWorker.Settings(config.smsRate(),
        Duration.ofMillis(config.smsRetryBaseMs()), config.smsMaxAttempts(), Duration.ofSeconds(config.smsLeaseSeconds())),
        clock, registry, nodeId);
    if (clusterManager != null) {
      membership = new org.crisishub.cluster.ClusterMembership(vertx, clusterManager);
      relay = new ClusterRelay(vertx, fanOut, nodeId, registry, membership::relayVersion);
      fanOut.relay(relay);
      membership.start(() -> {
        if (!stopping) {
          relay.reassert();
          outbox.shareRate(clusterManager.getNodes().size());
        }
      });
      outbox.shareRate(clusterManager.getNodes().size());
      io.micrometer.core.instrument.Gauge.builder("hub.cluster.nodes", membership,
          org.crisishub.cluster.ClusterMembership::nodes)
          .description("members of the cluster as this node sees it (0: out of the cluster)").register(registry);
      io.micrometer.core.instrument.Gauge.builder("hub.cluster.relay.shards", relay, ClusterRelay::registeredShards)
          .description("fan-out shard addresses this node is registered for").register(registry);
    }
    housekeeping = new Housekeeping(vertx, store, fanOut, clock, config.wsIdleSeconds(), config.wsStallSeconds(),
        config.retentionDays()).reportAudit(auditReport);
    io.micrometer.core.instrument.Gauge.builder("hub.store.up", housekeeping.storeUp(), java.util.concurrent.atomic.AtomicInteger::get)
        .description("1 while the store (SQLite, or Redis) answers, 0 while it does not").tag("store", config.store().toString())
        .register(registry);
    for (org.crisishub.domain.Channel ch : org.crisishub.domain.Channel.values()) {
      for (org.crisishub.domain.Status st : org.crisishub.domain.Status.values()) {
        io.micrometer.core.instrument.Counter.builder("hub.checkins")
            .description("check-ins durably recorded, by channel and status").tags("channel", ch.wire(), "status", st.wire())
            .register(registry);
      }
    }
    boolean embedded = StoreFactory.singleProcess(store);
    return store.start()
        // Embedded store: this process is its only sender, so claims left by a crash are free again.
        // Redis: other nodes may be sending; a dead node's claims are taken over after the lease.
        .compose(v -> embedded ? store.releaseSmsClaims() : Future.succeededFuture(0))
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("outbox: {} SMS claimed before a crash are due again", n);
          }
        })
        // Likewise a safety-check wave this process ran before a restart continues at once.
        .compose(v -> embedded ? store.safetyChecks().releaseWaveLeases() : Future.succeededFuture(0))
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("safety checks: {} escalation waves interrupted by a restart continue", n);
          }
        })
        // The pages and assets are read from the jar and hashed here, off the event loops.
        .compose(v -> vertx.executeBlocking(() -> org.crisishub.edge.WebAssets.shared().version()))
        // Building the services and one router per HTTP server loads a few thousand classes (Jackson,
        // Vert.x Web, the Twilio SDK, libphonenumber): 0.3 s to 2 s of a blocked event loop on a loaded
        // machine when it ran there, so it runs on a worker; the event loops only deploy and listen.
        .compose(v -> vertx.executeBlocking(() -> wire(TokenKeyFile.load(config.tokenSecret(), config.dataDir()), phones, limiter, devSms, guarded)))
        .compose(wired -> warmServerClasses().map(wired))
        .compose(wired -> {
          outbox.start();
          var w = config.safetyWaves();
          safety.startWaves(nodeId, Duration.ofSeconds(w.leaseSeconds()), w.batch(), w.backlog(), w.tickMs());
          // Deploying is called from a worker too: its first use loads Vert.x's deployment classes.
          return vertx.executeBlocking(() -> vertx.deployVerticle(() -> new EventLoopProbe(registry),
              new DeploymentOptions().setInstances(2 * Runtime.getRuntime().availableProcessors()))
              .compose(x -> deployHttp(wired)), false).compose(deployed -> deployed);
        })
        .map(v -> {
          housekeeping.start();
          LOG.info(StartReport.describe(config, new StartReport.Runtime(port, nodeId,
              vertx.isNativeTransportEnabled(), clusterManager == null ? 1 : clusterManager.getNodes().size())));
          return this;
        });
  }

  /** What the HTTP servers are built from: the connection guard and one router per server instance. */
  private record Wired(org.crisishub.edge.ConnectionGuard connections, List<io.vertx.ext.web.Router> routers) {
  }

  /**
   * Builds the services and the routers; blocking (class loading), so on a worker thread. {@code sender}
   * is the opt-out-guarded sender for one-time codes.
   */
  private Wired wire(byte[] key, Phones phones, RateLimiter limiter, DevSmsSender devSms, SmsSender sender) {
    TokenService tokens = new TokenService(key, Duration.ofHours(config.sessionTtlHours()));
    // The first HMAC loads the JCE provider's classes (0.9 s on an event loop, measured under load): here.
    tokens.codeHash("+10000000000", "000000");
    PersonAuth auth = new PersonAuth(store.personAuth(), tokens, sender, limiter, clock, registry);
    // The services emit domain events; the edge's encoder turns each into one frame for the fan-out.
    // Each takes the store concerns it uses (docs/architecture.md has the table): the engine implements
    // them all, so it is passed for each; safety checks, triage and templates by their accessors.
    org.crisishub.core.EventSink events = new org.crisishub.edge.EventEncoder(fanOut);
    org.crisishub.core.WatchService watch = new org.crisishub.core.WatchService(vertx, store, store.triage(),
        registry);
    org.crisishub.edge.TriageFrames triageFrames = new org.crisishub.edge.TriageFrames(fanOut);
    HelpService help = new HelpService(store, store, store.triage(), store.safetyChecks(), store, events, clock,
        outbox::wake, registry, watch, triageFrames);
    org.crisishub.core.TriageService triage = new org.crisishub.core.TriageService(store, store, store.triage(), store,
        triageFrames, help, watch, clock, outbox::wake);
    CheckInService checkIns = new CheckInService(store, store, events, clock, registry, outbox::wake, help,
        this::clusterUp);
    FollowService follows = new FollowService(store, store, store, events, clock, outbox::wake);
    ResponderAuth responders = new ResponderAuth(vertx, store, store, store, tokens, limiter, clock);
    NoticeService notices = new NoticeService(store, store, store.templates(),
        new NoticeSigner(store.noticeBoard(), clock), events, clock, config.publicUrl(), outbox::wake, registry);
    org.crisishub.core.SafetyCheckService safety = new org.crisishub.core.SafetyCheckService(vertx,
        store.safetyChecks(), store, store, store, notices, checkIns, events, phones, clock, config.smsRate(),
        outbox::wake);
    this.safety = safety;
    safety.useWatch(watch);
    help.useReports(safety.reports());
    checkIns.onRecorded(safety::onCheckIn);
    outbox.onSent((item, sid) -> safety.sent(item.coalesceKey(), item.to(), sid));
    // One handler per person's action, called by every channel (HTTP, WebSocket, SMS).
    org.crisishub.core.PersonCommands commands = new org.crisishub.core.PersonCommands(checkIns, follows, safety,
        limiter, clock);
    // Subscribing to an incident, live (WebSocket, SSE) or by SMS (JOIN, LEAVE): one place decides.
    org.crisishub.core.Subscriptions subscriptions = new org.crisishub.core.Subscriptions(store, store, store, help,
        safety.reports(), clock);
    SmsConversation conversation = new SmsConversation(phones, store, store, commands, subscriptions, follows,
        limiter, clock, config.timezone(), safety, triage);
    org.crisishub.edge.ConnectionGuard connections = new org.crisishub.edge.ConnectionGuard(config.connections(),
        registry);
    // The one place a bearer token becomes a principal, for every channel and the router's frame.
    org.crisishub.edge.Authenticator authenticator = new org.crisishub.edge.Authenticator(config.adminToken(), auth,
        responders);
    List<org.crisishub.edge.HttpApi.Routes> areas = edgeRoutes(connections, authenticator, phones, limiter, devSms, auth, responders, notices,
        help, triage, safety, follows, commands, subscriptions, conversation);
    List<io.vertx.ext.web.Router> routers = new ArrayList<>();
    org.crisishub.edge.HttpApi.Site site = new org.crisishub.edge.HttpApi.Site(registry, this::readiness,
        config.smsNumber(), config.mapTiles(), config.mapTilesOrigin(), authenticator);
    for (int i = 0; i < httpInstances(); i++) {
      routers.add(new org.crisishub.edge.HttpApi(vertx, site, areas).router());
    }
    return new Wired(connections, routers);
  }

  /** The API's areas, each given what it uses, mounted in this order; shared by every HTTP verticle. */
  private List<org.crisishub.edge.HttpApi.Routes> edgeRoutes(org.crisishub.edge.ConnectionGuard connections,
      org.crisishub.edge.Authenticator authenticator, Phones phones, RateLimiter limiter, DevSmsSender devSms,
      PersonAuth auth, ResponderAuth responders, NoticeService notices, HelpService help,
      org.crisishub.core.TriageService triage, org.crisishub.core.SafetyCheckService safety, FollowService follows,
      org.crisishub.core.PersonCommands commands, org.crisishub.core.Subscriptions subscriptions,
      SmsConversation conversation) {
    org.crisishub.edge.ClientAddress clientAddress = new org.crisishub.edge.ClientAddress(config.trustedProxies());
    org.crisishub.edge.Access access = new org.crisishub.edge.Access(authenticator,
        new org.crisishub.edge.AuditTrail(store.auditTrail(), clock), limiter);
    org.crisishub.edge.Sessions sessions = new org.crisishub.edge.Sessions(fanOut, follows, store, safety,
        subscriptions, responders);
    DevSmsSender dev = config.sms() == HubConfig.SmsMode.DEV ? devSms : null;
    return List.of(
        new org.crisishub.edge.PeopleRoutes(new org.crisishub.edge.PeopleRoutes.Uses(access, auth, responders,
            commands, follows, store, fanOut, phones, clientAddress)),
        new org.crisishub.edge.StreamRoutes(new org.crisishub.edge.StreamRoutes.Uses(connections, clientAddress,
            config.allowedOrigins(), config.wsQueueFrames(), authenticator, sessions, fanOut, notices,
            new org.crisishub.edge.WsProtocol.Uses(authenticator, sessions, commands, phones, config.rateLimits(),
                fanOut))),
        new org.crisishub.edge.SmsRoutes(new org.crisishub.edge.SmsRoutes.Uses(config.twilio().authToken(),
            config.publicUrl(), registry, dev, config.devSmsOpen(), clientAddress, conversation, phones, store, store, clock,
            safety)),
        new org.crisishub.edge.ResponderRoutes(responders, notices, help, triage, safety, fanOut, access,
            clientAddress, config.publicUrl()),
        new org.crisishub.edge.AuditRoutes(store.auditTrail(), access),
        new org.crisishub.edge.SafetyRoutes(safety, commands, phones, access),
        new org.crisishub.edge.TemplateRoutes(notices.templates(), access));
  }

  /**
   * The first {@code listen} of a process loads Netty's server classes on the calling thread: measured
   * 0.6 s of a blocked event loop on a loaded two-core machine. Opening and closing a throwaway server
   * on an ephemeral loopback port from a worker thread loads them there instead. Likewise Netty's
   * buffer events: the first buffer a process frees initialises them, and they register with Java
   * Flight Recorder, which builds its metadata first (0.75 s on an event loop, measured in a test).
   */
  private Future<Void> warmServerClasses() {
    return vertx.executeBlocking(() -> {
      for (String event : List.of("AllocateBufferEvent", "FreeBufferEvent", "ReallocateBufferEvent",
          "AllocateChunkEvent", "FreeChunkEvent")) {
        try {
          Class.forName("io.netty.buffer." + event, true, Hub.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
          LOG.debug("no Netty class {} to warm: {}", event, e.toString());
        }
      }
      return null;
    }, false).compose(v -> vertx.executeBlocking(() -> vertx.createHttpServer(
            new io.vertx.core.http.HttpServerOptions().setHost("127.0.0.1").setCompressionSupported(true))
        .requestHandler(req -> req.response().end()).listen(0), false))
        .compose(listening -> listening)
        .compose(io.vertx.core.http.HttpServer::close);
  }

  private static int httpInstances() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  private Future<Void> deployHttp(Wired wired) {
    int instances = wired.routers().size();
    java.util.Queue<io.vertx.ext.web.Router> routers = new java.util.concurrent.ConcurrentLinkedQueue<>(wired.routers());
    List<HttpVerticle> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
    // One deployment of one server per core: Vert.x shares a fixed port between the instances and
    // balances connections over their event loops. It does not share port 0, so 0 is resolved to
    // a free port first.
    int listenPort;
    try {
      listenPort = config.httpPort() != 0 ? config.httpPort() : freePort(config.httpHost());
    } catch (java.io.IOException e) {
      return Future.failedFuture(e);
    }
    return vertx.deployVerticle(() -> {
      HttpVerticle v = new HttpVerticle(config.httpHost(), listenPort, config.wsSendBufferBytes(),
          wired.connections(), routers.remove());
      servers.add(v);
      return v;
    }, new DeploymentOptions().setInstances(instances)).map(id -> {
      deployment.set(id);
      port = servers.get(0).actualPort();
      for (HttpVerticle v : servers) {
        if (v.actualPort() != port) {
          throw new IllegalStateException("HTTP servers listen on different ports: " + port + ", " + v.actualPort());
        }
      }
      return null;
    });
  }

  private static int freePort(String host) throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    }
  }

  private org.crisishub.core.AuditReport auditReport;

  /** False while this node is out of its cluster (Hazelcast not running). Always true on a single node. */
  public boolean clusterUp() {
    return membership == null || membership.up();
  }

  private Future<Void> readiness() {
    if (stopping) {
      return Future.failedFuture(HubException.unavailable("stopping", null));
    }
    if (!clusterUp()) {
      return Future.failedFuture(HubException.unavailable("cluster unreachable", null));
    }
    return store.ping();
  }

  /** The port the HTTP server listens on. */
  public int port() {
    return port;
  }

  /** The store this node uses (for operations and tests). */
  public Store store() {
    return store;
  }

  /** This node's live sessions (for operations and tests). */
  public java.util.Collection<ClientSession> sessions() {
    return fanOut.sessions();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Stops serving, in order: readiness turns 503 at once; after {@code HUB_SHUTDOWN_DELAY_SECONDS}
   * (time for a load balancer to stop routing here) every WebSocket stops taking requests,
   * finishes and answers those in progress and is closed with 1012 and a reconnect delay drawn from
   * {@code HUB_RECONNECT_SPREAD_MS} (so a whole node's clients do not reconnect at one instant);
   * SMS in flight get their outcome recorded and this node's remaining claims are handed back; the
   * HTTP servers close, then the Twilio client's connections; the store closes after its queued
   * writes. The caller then closes Vert.x, which leaves the cluster.
   */
  public Future<Void> stop() {
    if (stopping) {
      return stopped.future();
    }
    stopping = true;
    LOG.info("stopping: readiness is 503 now");
    if (housekeeping != null) {
      housekeeping.stop();
    }
    if (safety != null) {
      safety.stopWaves();
    }
    long delayMs = config.shutdownDelaySeconds() * 1000L;
    Future<Long> delayed = delayMs > 0 ? vertx.timer(delayMs).map(0L) : Future.succeededFuture(0L);
    delayed.compose(v -> {
      Future<Void> smsDrained = outbox == null ? Future.succeededFuture() : outbox.stop(Duration.ofSeconds(5));
      List<ClientSession> sessions = fanOut == null ? List.of() : List.copyOf(fanOut.sessions());
      java.util.Random random = new java.util.Random();
      for (ClientSession s : sessions) {
        long after = config.reconnectSpreadMs() == 0 ? 0 : random.nextInt(config.reconnectSpreadMs() + 1);
        s.context().runOnContext(x -> s.drain(ClientSession.CLOSE_RESTART, "restarting: reconnect in " + after + " ms",
            5000));
      }
      LOG.info("stopping: draining {} sessions", sessions.size());
      return whenNoSessions(6000).compose(x -> smsDrained);
    }).compose(v -> {
      if (membership != null) {
        membership.stop();
      }
      if (relay != null) {
        relay.stop();
      }
      String id = deployment.get();
      return id == null ? Future.<Void>succeededFuture() : vertx.undeploy(id).recover(e -> Future.succeededFuture());
    }).compose(v -> twilio == null ? Future.<Void>succeededFuture() : twilio.close().recover(e -> Future.succeededFuture()))
        .compose(v -> store == null ? Future.<Void>succeededFuture() : store.close())
        .onComplete(ar -> {
          LOG.info("hub stopped");
          stopped.complete();
        });
    return stopped.future();
  }

  private final io.vertx.core.Promise<Void> stopped = io.vertx.core.Promise.promise();

  /** Completes when every session is gone, or after {@code maxMs}. */
  private Future<Void> whenNoSessions(long maxMs) {
    return Waits.until(vertx, 20, maxMs, () -> fanOut == null || fanOut.size() == 0);
  }
}
