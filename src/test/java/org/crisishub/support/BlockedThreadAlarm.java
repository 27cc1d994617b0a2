package org.crisishub.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts Vert.x blocked-thread warnings, which are bugs: the tests assert there were none.
 *
 * <p>A warning whose stack (taken when the checker fired) shows the event loop idle in its selector
 * is counted apart, as {@link #starved()}: the loop was running no task of ours when looked at, so
 * the time was lost to a machine that did not schedule the thread (seen at load averages above 10 on
 * two cores), not to code that blocks. Every other warning, with our code or a library's on the
 * stack, counts in {@link #warnings()}.
 */
public final class BlockedThreadAlarm extends AppenderBase<ILoggingEvent> {
  private static final AtomicInteger WARNINGS = new AtomicInteger();
  private static final AtomicInteger STARVED = new AtomicInteger();
  /** The frames an idle event loop waits in: the JDK's epoll selector, and Netty's native epoll. */
  private static final Set<String> IDLE_WAITS = Set.of("sun.nio.ch.EPoll.wait",
      "io.netty.channel.epoll.Native.epollWait", "io.netty.channel.epoll.Native.epollWait0",
      "io.netty.channel.epoll.Native.epollBusyWait0");

  @Override
  protected void append(ILoggingEvent event) {
    if (idle(event.getThrowableProxy())) {
      STARVED.incrementAndGet();
      return;
    }
    WARNINGS.incrementAndGet();
  }

  static boolean idle(IThrowableProxy thrown) {
    if (thrown == null) {
      return false;
    }
    StackTraceElementProxy[] stack = thrown.getStackTraceElementProxyArray();
    if (stack == null || stack.length == 0) {
      return false;
    }
    StackTraceElement top = stack[0].getStackTraceElement();
    return IDLE_WAITS.contains(top.getClassName() + "." + top.getMethodName());
  }

  /** Warnings with work on the blocked thread's stack: bugs. */
  public static int warnings() {
    return WARNINGS.get();
  }

  /** Warnings that found the event loop idle in its selector: the machine starved the thread. */
  public static int starved() {
    return STARVED.get();
  }
}
