package org.crisishub.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts Vert.x blocked-thread warnings, which are bugs: the tests assert there were none. */
public final class BlockedThreadAlarm extends AppenderBase<ILoggingEvent> {
  private static final AtomicInteger WARNINGS = new AtomicInteger();

  @Override
  protected void append(ILoggingEvent event) {
    WARNINGS.incrementAndGet();
  }

  public static int warnings() {
    return WARNINGS.get();
  }
}
