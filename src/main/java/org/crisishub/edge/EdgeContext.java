package org.crisishub.edge;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.function.Supplier;
import io.vertx.core.Future;
import org.crisishub.config.HubConfig;
import org.crisishub.auth.PersonAuth;
import org.crisishub.auth.RateLimiter;
import org.crisishub.core.CheckInService;
import org.crisishub.core.FollowService;
import org.crisishub.domain.Phones;
import org.crisishub.fanout.FanOut;
import org.crisishub.sms.DevSmsSender;

/**
 * What the edges (HTTP, WebSocket, SSE) call: shared by every HTTP verticle instance. All members
 * are thread-safe.
 *
 * @param devSms the dev sender when {@code HUB_SMS=dev}, else null (dev endpoints absent)
 * @param readiness succeeds while this node can serve
 * @param connections this node's connection caps and header deadline
 */
public record EdgeContext(
    HubConfig config,
    Phones phones,
    PersonAuth auth,
    CheckInService checkIns,
    FollowService follows,
    org.crisishub.store.Store store,
    FanOut fanOut,
    RateLimiter limiter,
    DevSmsSender devSms,
    PrometheusMeterRegistry registry,
    Clock clock,
    Supplier<Future<Void>> readiness,
    org.crisishub.sms.SmsConversation sms,
    org.crisishub.notices.ResponderAuth responders,
    org.crisishub.notices.NoticeService notices,
    org.crisishub.core.HelpService help,
    ConnectionGuard connections,
    org.crisishub.core.SafetyCheckService safety) {
}
