package org.crisishub.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Which incidents' help queues a check-in joins: the one rule both store engines apply when they
 * record a check-in. A need_help check-in joins the queue of the open incident it names, or, when
 * it names none, of every open incident whose area holds its location. Pure functions; thread-safe.
 */
public final class HelpMatching {
  private HelpMatching() {
  }

  /** Whether a check-in of this status can join a help queue at all (only need_help). */
  public static boolean seeksHelp(Status status) {
    return status == Status.NEED_HELP;
  }

  /**
   * Whether {@code incident} admits {@code checkIn} into its help queue: the check-in seeks help, the
   * incident is open, and the check-in names it ({@code incident} code, already normalised to upper
   * case), or names no incident and was made inside the incident's area.
   */
  public static boolean admits(Incident incident, CheckIn checkIn) {
    if (!seeksHelp(checkIn.status()) || !incident.open()) {
      return false;
    }
    boolean named = incident.code().equals(checkIn.incident());
    boolean inside = checkIn.incident() == null && checkIn.location() != null && incident.area() != null
        && incident.area().contains(checkIn.location());
    return named || inside;
  }

  /** The codes of the incidents of {@code incidents} that admit {@code checkIn}, in the order given. */
  public static List<String> incidentsFor(CheckIn checkIn, Collection<Incident> incidents) {
    List<String> matched = new ArrayList<>();
    for (Incident inc : incidents) {
      if (admits(inc, checkIn)) {
        matched.add(inc.code());
      }
    }
    return matched;
  }
}
