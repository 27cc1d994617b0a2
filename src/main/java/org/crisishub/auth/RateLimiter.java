package org.crisishub.auth;

import java.util.concurrent.ConcurrentHashMap;
import org.crisishub.domain.HubException;

/**
 * Token buckets keyed by a string (a number, a token, an address), per node. Approximate by design:
 * limits protect the hub, they are not a guarantee. Thread-safe.
 */
public final class RateLimiter {
  /** A bucket that holds {@code burst} tokens and refills {@code perHour} an hour. */
  public record Limit(String name, int burst, double perHour) {
    double perMilli() {
      return perHour / 3_600_000d;
    }
  }

  private static final int SWEEP_EVERY = 10_000;

  private final boolean enabled;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();

  public RateLimiter(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * Takes one token for {@code key} under {@code limit}.
   *
   * @throws HubException {@code rate_limited} with the seconds until a token is back
   */
  public void acquire(Limit limit, String key, long nowMs) {
    if (!enabled) {
      return;
    }
    if (calls.incrementAndGet() % SWEEP_EVERY == 0) {
      sweep(nowMs);
    }
    Bucket b = buckets.computeIfAbsent(limit.name() + "|" + key, k -> new Bucket(limit, nowMs));
    long wait = b.take(nowMs);
    if (wait > 0) {
      throw HubException.rateLimited((wait + 999) / 1000);
    }
  }

  /**
   * Gives back one token taken by {@link #acquire} for work that was then refused, so that only
   * accepted work counts; never above the burst.
   */
  public void refund(Limit limit, String key, long nowMs) {
    if (!enabled) {
      return;
    }
    Bucket b = buckets.get(limit.name() + "|" + key);
    if (b != null) {
      b.giveBack(nowMs);
    }
  }

  /**
   * Runs {@code work} against one token of {@code key} under {@code limit}: the token is taken first
   * ({@code rate_limited} when there is none, and {@code work} does not run) and given back when
   * {@code work} fails, synchronously or through its future, whatever the error (a 400, a 403, a
   * 503: nothing was accepted). The returned future carries {@code work}'s outcome.
   */
  public <T> io.vertx.core.Future<T> charge(Limit limit, String key, long nowMs,
      java.util.function.Supplier<io.vertx.core.Future<T>> work) {
    try {
      acquire(limit, key, nowMs);
    } catch (HubException e) {
      return io.vertx.core.Future.failedFuture(e);
    }
    io.vertx.core.Future<T> f;
    try {
      f = work.get();
    } catch (RuntimeException e) {
      f = io.vertx.core.Future.failedFuture(e);
    }
    return f.onFailure(e -> refund(limit, key, System.currentTimeMillis()));
  }

  /** Forgets full buckets, which carry no information. */
  private void sweep(long nowMs) {
    buckets.values().removeIf(b -> b.isFull(nowMs));
  }

  private static final class Bucket {
    private final Limit limit;
    private double tokens;
    private long at;

    Bucket(Limit limit, long nowMs) {
      this.limit = limit;
      this.tokens = limit.burst();
      this.at = nowMs;
    }

    synchronized long take(long nowMs) {
      refill(nowMs);
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) / limit.perMilli());
    }

    synchronized void giveBack(long nowMs) {
      refill(nowMs);
      tokens = Math.min(limit.burst(), tokens + 1);
    }

    synchronized boolean isFull(long nowMs) {
      refill(nowMs);
      return tokens >= limit.burst();
    }

    private void refill(long nowMs) {
      if (nowMs > at) {
        tokens = Math.min(limit.burst(), tokens + (nowMs - at) * limit.perMilli());
        at = nowMs;
      }
    }
  }
}
