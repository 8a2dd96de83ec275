package dev.sandcastle.orchestrator.tenant;

import dev.sandcastle.core.errors.BadRequest;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A standard five-field cron schedule (minute, hour, day of month, month, day of week) in a time
 * zone. Immutable and thread-safe; equal when expression and zone are equal.
 *
 * <p>Each field takes {@code *}, numbers, lists ({@code 1,15}), ranges ({@code 1-5}) and steps
 * ({@code *}{@code /15}, {@code 1-10/2}, {@code 5/15} meaning from 5 to the end); the month field
 * also takes {@code JAN}-{@code DEC}, the day-of-week field {@code SUN}-{@code SAT} and Sunday as 0
 * or 7 (names in any case). The macros {@code @yearly}, {@code @annually}, {@code @monthly},
 * {@code @weekly}, {@code @daily}, {@code @midnight} and {@code @hourly} stand for their usual
 * expressions.
 *
 * <p>As in Vixie cron: when both day fields are restricted, a day matches if either matches; when
 * one of them starts with {@code *}, only the other counts. Across daylight-saving changes, a
 * schedule whose minute or hour field starts with {@code *} follows the real clock (a skipped
 * hour has no runs, a repeated hour runs twice); a schedule at fixed times runs once: a time that
 * the change skips runs at the moment the change happens, a time that occurs twice runs at its
 * first occurrence.
 */
public final class CronSchedule {
  private static final int MAX_LENGTH = 256;
  /** Far enough for any satisfiable schedule (February 29th on a given weekday repeats within 28 years, 40 across 2100). */
  private static final int SEARCH_YEARS = 50;

  private static final Map<String, String> MACROS = Map.of(
      "@yearly", "0 0 1 1 *",
      "@annually", "0 0 1 1 *",
      "@monthly", "0 0 1 * *",
      "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *",
      "@midnight", "0 0 * * *",
      "@hourly", "0 * * * *");

  private enum Field {
    MINUTE("minute", 0, 59, List.of()),
    HOUR("hour", 0, 23, List.of()),
    DAY_OF_MONTH("day of month", 1, 31, List.of()),
    MONTH("month", 1, 12, List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    DAY_OF_WEEK("day of week", 0, 7, List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"));

    final String label;
    final int min;
    final int max;
    /** Names in order, the first standing for {@link #min}. */
    final List<String> names;

    Field(String label, int min, int max, List<String> names) {
      this.label = label;
      this.min = min;
      this.max = max;
      this.names = names;
    }
  }

  private final String expression;
  private final ZoneId zone;
  private final long minutes;
  private final long hours;
  private final long daysOfMonth;
  private final long months;
  private final long daysOfWeek; // bit 0 = Sunday ... bit 6 = Saturday
  private final boolean eitherDayField;
  private final boolean followsClock;

  private CronSchedule(String expression, ZoneId zone, String[] fields) {
    this.expression = expression;
    this.zone = zone;
    this.minutes = bits(fields[0], Field.MINUTE);
    this.hours = bits(fields[1], Field.HOUR);
    this.daysOfMonth = bits(fields[2], Field.DAY_OF_MONTH);
    this.months = bits(fields[3], Field.MONTH);
    long weekdays = bits(fields[4], Field.DAY_OF_WEEK);
    this.daysOfWeek = (weekdays | (weekdays >>> 7)) & 0x7f; // 7 is Sunday too
    this.eitherDayField = !fields[2].startsWith("*") && !fields[4].startsWith("*");
    this.followsClock = fields[0].startsWith("*") || fields[1].startsWith("*");
  }

  /**
   * Parses a cron expression.
   *
   * @throws BadRequest naming the field and the problem when the expression is not valid
   */
  public static CronSchedule parse(String expression, ZoneId zone) {
    Objects.requireNonNull(zone, "zone");
    if (expression == null || expression.isBlank()) {
      throw new BadRequest("the cron expression is empty");
    }
    String text = expression.strip();
    if (text.length() > MAX_LENGTH) {
      throw new BadRequest("the cron expression is longer than " + MAX_LENGTH + " characters");
    }
    String fields = text;
    if (text.startsWith("@")) {
      fields = MACROS.get(text.toLowerCase(Locale.ROOT));
      if (fields == null) {
        throw new BadRequest("unknown cron macro '" + text + "'; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly");
      }
    }
    String[] parts = fields.split("\\s+");
    if (parts.length != 5) {
      throw new BadRequest("a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has " + parts.length);
    }
    return new CronSchedule(text, zone, parts);
  }

  /** The expression as given (without surrounding blanks). */
  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }

  /**
   * The first time strictly after {@code after} when the schedule fires, in the schedule's zone
   * (whole minutes); empty when it never fires again (e.g. {@code 0 0 30 2 *}).
   */
  public Optional<ZonedDateTime> next(ZonedDateTime after) {
    Instant limit = after.toInstant();
    ZoneRules rules = zone.getRules();
    ZonedDateTime start = after.withZoneSameInstant(zone);
    LocalDateTime from = start.toLocalDateTime().truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    var transition = rules.getTransition(start.toLocalDateTime());
    if (followsClock && transition != null && transition.isOverlap() && start.getOffset().equals(transition.getOffsetBefore())) {
      // In the first pass of a repeated hour: the second pass, earlier on the wall clock, is still to come.
      from = transition.getDateTimeAfter();
    }
    try {
      LocalDate lastDate = from.toLocalDate().plusYears(SEARCH_YEARS);
      Instant best = null;
      for (Optional<LocalDateTime> match = nextLocal(from, lastDate); match.isPresent();
          match = nextLocal(match.get().plusMinutes(1), lastDate)) {
        LocalDateTime local = match.get();
        List<ZoneOffset> offsets = rules.getValidOffsets(local);
        Instant earliest;
        if (offsets.isEmpty()) {
          // Skipped by a change of offset: fixed times run when the change happens.
          earliest = rules.getTransition(local).getInstant();
          if (!followsClock) {
            best = earlier(best, earliest, limit);
          }
        } else {
          List<Instant> instants = offsets.stream().map(local::toInstant).sorted().toList();
          earliest = instants.getFirst();
          for (Instant instant : followsClock ? instants : instants.subList(0, 1)) {
            best = earlier(best, instant, limit);
          }
        }
        // Every later wall-clock match happens after this one's earliest instant.
        if (best != null && !best.isAfter(earliest)) {
          break;
        }
      }
      return Optional.ofNullable(best).map(instant -> ZonedDateTime.ofInstant(instant, zone));
    } catch (DateTimeException e) {
      return Optional.empty(); // beyond the end of time
    }
  }

  private static Instant earlier(Instant best, Instant candidate, Instant limit) {
    if (!candidate.isAfter(limit)) {
      return best;
    }
    return best == null || candidate.isBefore(best) ? candidate : best;
  }

  /** The first wall-clock minute at or after {@code from} that matches the fields, up to {@code lastDate}. */
  private Optional<LocalDateTime> nextLocal(LocalDateTime from, LocalDate lastDate) {
    LocalDate date = from.toLocalDate();
    int fromHour = from.getHour();
    int fromMinute = from.getMinute();
    while (!date.isAfter(lastDate)) {
      if (!has(months, date.getMonthValue())) {
        date = date.withDayOfMonth(1).plusMonths(1);
      } else {
        if (dayMatches(date)) {
          for (int hour = nextBit(hours, fromHour); hour >= 0; hour = nextBit(hours, hour + 1)) {
            int minute = nextBit(minutes, hour == fromHour ? fromMinute : 0);
            if (minute >= 0) {
              return Optional.of(date.atTime(hour, minute));
            }
          }
        }
        date = date.plusDays(1);
      }
      fromHour = 0;
      fromMinute = 0;
    }
    return Optional.empty();
  }

  private boolean dayMatches(LocalDate date) {
    boolean byMonthDay = has(daysOfMonth, date.getDayOfMonth());
    boolean byWeekday = has(daysOfWeek, date.getDayOfWeek().getValue() % 7);
    return eitherDayField ? byMonthDay || byWeekday : byMonthDay && byWeekday;
  }

  private static boolean has(long bits, int value) {
    return (bits & (1L << value)) != 0;
  }

  private static int nextBit(long bits, int from) {
    long rest = from >= 64 ? 0 : bits & (-1L << from);
    return rest == 0 ? -1 : Long.numberOfTrailingZeros(rest);
  }

  private static long bits(String text, Field field) {
    long bits = 0;
    for (String item : text.split(",", -1)) {
      if (item.isEmpty()) {
        throw new BadRequest(field.label + ": empty element in '" + text + "'");
      }
      int slash = item.indexOf('/');
      String range = slash < 0 ? item : item.substring(0, slash);
      int step = 1;
      if (slash >= 0) {
        step = number(item.substring(slash + 1), field, "step");
        if (step < 1 || step > field.max) {
          throw new BadRequest(field.label + ": the step in '" + item + "' must be between 1 and " + field.max);
        }
      }
      int low;
      int high;
      int dash = range.indexOf('-');
      if (range.equals("*")) {
        low = field.min;
        high = field.max;
      } else if (dash >= 0) {
        low = value(range.substring(0, dash), field);
        high = value(range.substring(dash + 1), field);
        if (low > high) {
          throw new BadRequest(field.label + ": the range '" + range + "' runs backwards");
        }
      } else {
        low = value(range, field);
        high = slash < 0 ? low : field.max;
      }
      for (int v = low; v <= high; v += step) {
        bits |= 1L << v;
      }
    }
    return bits;
  }

  private static int value(String text, Field field) {
    int index = field.names.indexOf(text.toUpperCase(Locale.ROOT));
    int value = index >= 0 ? field.min + index : number(text, field, "value");
    if (value < field.min || value > field.max) {
      throw new BadRequest(field.label + ": " + value + " is outside " + field.min + "-" + field.max);
    }
    return value;
  }

  private static int number(String text, Field field, String what) {
    if (text.isEmpty() || text.length() > 4 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      String hint = field.names.isEmpty() || what.equals("step") ? "" : " or a name like " + field.names.getFirst();
      throw new BadRequest(field.label + ": '" + text + "' is not a valid " + what + " (expected a number" + hint + ")");
    }
    return Integer.parseInt(text);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof CronSchedule that && expression.equals(that.expression) && zone.equals(that.zone);
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, zone);
  }

  @Override
  public String toString() {
    return expression + " (" + zone.getId() + ")";
  }
}
