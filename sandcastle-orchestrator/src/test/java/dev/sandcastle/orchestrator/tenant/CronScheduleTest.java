package dev.sandcastle.orchestrator.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CronScheduleTest {
  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  private static ZonedDateTime at(String text) {
    return ZonedDateTime.parse(text);
  }

  /** The next {@code count} times the schedule fires after {@code start}, as ISO text with offsets. */
  private static List<String> runs(String expression, ZoneId zone, String start, int count) {
    CronSchedule schedule = CronSchedule.parse(expression, zone);
    List<String> runs = new ArrayList<>();
    ZonedDateTime time = at(start);
    for (int i = 0; i < count; i++) {
      time = schedule.next(time).orElseThrow();
      runs.add(time.toOffsetDateTime().toString());
    }
    return runs;
  }

  @Test
  void everyFifteenMinutes() {
    assertThat(runs("*/15 * * * *", UTC, "2026-05-01T10:07:30Z", 4))
        .containsExactly("2026-05-01T10:15Z", "2026-05-01T10:30Z", "2026-05-01T10:45Z", "2026-05-01T11:00Z");
  }

  @Test
  void nextIsStrictlyAfter() {
    CronSchedule hourly = CronSchedule.parse("0 * * * *", UTC);

    assertThat(hourly.next(at("2026-05-01T10:00:00Z"))).contains(at("2026-05-01T11:00Z"));
    assertThat(hourly.next(at("2026-05-01T09:59:59.999Z"))).contains(at("2026-05-01T10:00Z"));
  }

  @Test
  void weekdaysAtNine() {
    // 2026-05-01 is a Friday.
    assertThat(runs("0 9 * * MON-FRI", UTC, "2026-05-01T10:00Z", 2)).containsExactly("2026-05-04T09:00Z", "2026-05-05T09:00Z");
  }

  @Test
  void listsRangesStepsAndNames() {
    assertThat(runs("1-10/4 * * * *", UTC, "2026-05-01T10:00Z", 4))
        .containsExactly("2026-05-01T10:01Z", "2026-05-01T10:05Z", "2026-05-01T10:09Z", "2026-05-01T11:01Z");
    assertThat(runs("5/20 8 * * *", UTC, "2026-05-01T00:00Z", 4))
        .containsExactly("2026-05-01T08:05Z", "2026-05-01T08:25Z", "2026-05-01T08:45Z", "2026-05-02T08:05Z");
    assertThat(runs("0 0 1 jan,Jul *", UTC, "2026-05-01T00:00Z", 2)).containsExactly("2026-07-01T00:00Z", "2027-01-01T00:00Z");
    assertThat(runs("0 12 * * sat/3", UTC, "2026-05-01T00:00Z", 1)).containsExactly("2026-05-02T12:00Z");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0 0 * * 0", "0 0 * * 7", "0 0 * * SUN", "0 0 * * sun", "0 0 * * 7-7", "@weekly"})
  void sundayIsZeroOrSeven(String expression) {
    // 2026-05-03 is a Sunday.
    assertThat(CronSchedule.parse(expression, UTC).next(at("2026-05-02T00:00Z")))
        .map(t -> t.getDayOfWeek().getValue() % 7)
        .contains(0);
  }

  @Test
  void whenBothDayFieldsAreRestrictedEitherMatches() {
    // The 13th or any Friday: May 2026 has Fridays on the 8th and 15th, and the 13th is a Wednesday.
    assertThat(runs("0 0 13 * FRI", UTC, "2026-05-01T00:00Z", 3))
        .containsExactly("2026-05-08T00:00Z", "2026-05-13T00:00Z", "2026-05-15T00:00Z");
    assertThat(runs("0 0 13 * *", UTC, "2026-05-01T00:00Z", 1)).containsExactly("2026-05-13T00:00Z");
    assertThat(runs("0 0 * * FRI", UTC, "2026-05-01T00:00Z", 1)).containsExactly("2026-05-08T00:00Z");
    // As in Vixie cron, a day field starting with '*' counts as unrestricted: both must match.
    assertThat(runs("0 0 */2 * FRI", UTC, "2026-05-01T00:00Z", 2)).containsExactly("2026-05-15T00:00Z", "2026-05-29T00:00Z");
  }

  @Test
  void februaryTwentyNinthWaitsForALeapYear() {
    assertThat(runs("0 12 29 2 *", UTC, "2026-01-01T00:00Z", 2)).containsExactly("2028-02-29T12:00Z", "2032-02-29T12:00Z");
    assertThat(runs("0 0 29 FEB *", UTC, "2096-03-01T00:00Z", 1)).as("2100 is no leap year").containsExactly("2104-02-29T00:00Z");
  }

  @Test
  void aScheduleThatCanNeverFireHasNoNextRun() {
    assertThat(CronSchedule.parse("0 0 30 2 *", UTC).next(at("2026-01-01T00:00Z"))).isEmpty();
    assertThat(CronSchedule.parse("0 0 31 4,6,9,11 *", UTC).next(at("2026-01-01T00:00Z"))).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
      "@yearly,    2027-01-01T00:00Z",
      "@annually,  2027-01-01T00:00Z",
      "@monthly,   2026-06-01T00:00Z",
      "@weekly,    2026-05-03T00:00Z",
      "@daily,     2026-05-02T00:00Z",
      "@midnight,  2026-05-02T00:00Z",
      "@hourly,    2026-05-01T11:00Z",
      "@HOURLY,    2026-05-01T11:00Z"})
  void macros(String macro, String expected) {
    assertThat(CronSchedule.parse(macro, UTC).next(at("2026-05-01T10:20Z"))).contains(at(expected));
  }

  @Test
  void timesAreInTheSchedulesZone() {
    CronSchedule nineInBerlin = CronSchedule.parse("0 9 * * *", BERLIN);

    ZonedDateTime next = nineInBerlin.next(at("2026-05-01T08:00Z")).orElseThrow();

    assertThat(next.getZone()).isEqualTo(BERLIN);
    assertThat(next.toInstant()).isEqualTo(at("2026-05-02T07:00Z").toInstant());
  }

  @Test
  void aFixedTimeThatDaylightSavingSkipsRunsWhenTheClockJumps() {
    // 2026-03-29 in Berlin: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that night.
    assertThat(runs("30 2 * * *", BERLIN, "2026-03-28T03:00+01:00", 3))
        .containsExactly("2026-03-29T03:00+02:00", "2026-03-30T02:30+02:00", "2026-03-31T02:30+02:00");
  }

  @Test
  void repeatingSchedulesFollowTheRealClockAcrossTheSpringGap() {
    assertThat(runs("0 * * * *", BERLIN, "2026-03-29T00:30+01:00", 3))
        .containsExactly("2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00", "2026-03-29T04:00+02:00");
    assertThat(runs("*/20 2 * * *", BERLIN, "2026-03-29T01:00+01:00", 1))
        .as("no 2 o'clock that night").containsExactly("2026-03-30T02:00+02:00");
  }

  @Test
  void aFixedTimeInTheRepeatedAutumnHourRunsOnce() {
    // 2026-10-25 in Berlin: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happen twice.
    assertThat(runs("30 2 * * *", BERLIN, "2026-10-25T00:00+02:00", 2))
        .containsExactly("2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00");
  }

  @Test
  void repeatingSchedulesRunInBothPassesOfTheRepeatedHour() {
    assertThat(runs("*/30 * * * *", BERLIN, "2026-10-25T01:45+02:00", 5)).containsExactly(
        "2026-10-25T02:00+02:00", "2026-10-25T02:30+02:00", "2026-10-25T02:00+01:00", "2026-10-25T02:30+01:00", "2026-10-25T03:00+01:00");
    // Starting late in the first pass, the second pass (earlier on the wall clock) comes next.
    assertThat(runs("0 * * * *", BERLIN, "2026-10-25T02:50+02:00", 2))
        .containsExactly("2026-10-25T02:00+01:00", "2026-10-25T03:00+01:00");
    // Every run is one real hour after the previous one.
    List<String> hourly = runs("0 * * * *", BERLIN, "2026-10-24T23:30Z", 4);
    for (int i = 1; i < hourly.size(); i++) {
      assertThat(Duration.between(at(hourly.get(i - 1)), at(hourly.get(i)))).isEqualTo(Duration.ofHours(1));
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "61 * * * *        | minute: 61 is outside 0-59",
      "-1 * * * *        | minute: '' is not a valid value",
      "* 24 * * *        | hour: 24 is outside 0-23",
      "* * 0 * *         | day of month: 0 is outside 1-31",
      "* * 32 * *        | day of month: 32 is outside 1-31",
      "* * * 13 *        | month: 13 is outside 1-12",
      "* * * FOO *       | month: 'FOO' is not a valid value",
      "* * * * 8         | day of week: 8 is outside 0-7",
      "* * * * MON-FOO   | day of week: 'FOO' is not a valid value",
      "*/0 * * * *       | minute: the step in '*/0' must be between 1 and 59",
      "*/x * * * *       | minute: 'x' is not a valid step",
      "5-1 * * * *       | minute: the range '5-1' runs backwards",
      "1,,2 * * * *      | minute: empty element",
      "a * * * *         | minute: 'a' is not a valid value (expected a number)",
      "* * * *           | has 5 fields",
      "* * * * * *       | has 5 fields",
      "@reboot           | unknown cron macro",
      "@every 5m         | unknown cron macro",
      "? * * * *         | minute"})
  void invalidExpressionsAreBadRequests(String expression, String message) {
    assertThatThrownBy(() -> CronSchedule.parse(expression, UTC)).isInstanceOf(BadRequest.class).hasMessageContaining(message);
  }

  @Test
  void emptyExpressionsAreBadRequests() {
    assertThatThrownBy(() -> CronSchedule.parse("  ", UTC)).isInstanceOf(BadRequest.class).hasMessage("the cron expression is empty");
    assertThatThrownBy(() -> CronSchedule.parse("* ".repeat(200), UTC)).isInstanceOf(BadRequest.class).hasMessageContaining("longer than");
  }

  @Test
  void equalWhenExpressionAndZoneAreEqual() {
    assertThat(CronSchedule.parse(" 0 9 * * * ", BERLIN)).isEqualTo(CronSchedule.parse("0 9 * * *", BERLIN))
        .hasSameHashCodeAs(CronSchedule.parse("0 9 * * *", BERLIN))
        .isNotEqualTo(CronSchedule.parse("0 9 * * *", UTC));
    assertThat(CronSchedule.parse("0 9 * * *", BERLIN).toString()).isEqualTo("0 9 * * * (Europe/Berlin)");
    assertThat(CronSchedule.parse("0 9 * * *", BERLIN).expression()).isEqualTo("0 9 * * *");
  }
}
