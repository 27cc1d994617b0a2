package org.crisishub.auth;

/**
 * The hub's rate limits in one table. Per-IP limits are sized so a whole shelter behind one NAT'd
 * Wi-Fi (hundreds of numbers an hour) still gets through; per-number limits stop abuse of one
 * number; per-token limits keep one client from crowding out the rest.
 */
public final class Limits {
  /** Codes sent to one number: 3 at once, then one every 5 minutes. */
  public static final RateLimiter.Limit OTP_SEND_PER_PHONE = new RateLimiter.Limit("otp-phone", 3, 12);
  /** Codes requested from one address: 200 at once, 1,200 an hour. */
  public static final RateLimiter.Limit OTP_SEND_PER_IP = new RateLimiter.Limit("otp-ip", 200, 1200);
  /** Code tries for one number, on top of the per-code limit. */
  public static final RateLimiter.Limit OTP_TRY_PER_PHONE = new RateLimiter.Limit("otp-try-phone", 10, 30);
  /** Code tries from one address. */
  public static final RateLimiter.Limit OTP_TRY_PER_IP = new RateLimiter.Limit("otp-try-ip", 300, 2400);
  /** Wrong tries before a code is void. */
  public static final int OTP_MAX_TRIES = 5;
  /** Requests per session token (REST). */
  public static final RateLimiter.Limit API_PER_TOKEN = new RateLimiter.Limit("api-token", 120, 7200);
  /** Check-ins per person, whatever the channel. */
  public static final RateLimiter.Limit CHECKIN_PER_PHONE = new RateLimiter.Limit("checkin-phone", 20, 600);
  /** Follow requests per person. */
  public static final RateLimiter.Limit FOLLOW_PER_PHONE = new RateLimiter.Limit("follow-phone", 50, 200);
  /** Frames per WebSocket connection. */
  public static final RateLimiter.Limit WS_FRAMES = new RateLimiter.Limit("ws-frames", 60, 72_000);

  private Limits() {
  }
}
