package dev.sandcastle.core.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The JSON a client sees: Open Terminal's snake_case names and lower-case types. */
class WireFormatTest {
  final JsonMapper json = JsonMapper.builder().build();

  @Test
  void resultsUseOpenTerminalNames() {
    assertThat(json.writeValueAsString(new TextContent("/home/user/a.txt", 2, "x\ny\n")))
        .isEqualTo("{\"path\":\"/home/user/a.txt\",\"total_lines\":2,\"content\":\"x\\ny\\n\"}");
    assertThat(
            json.writeValueAsString(
                new DirectoryListing(
                    "/home/user",
                    List.of(new FileEntry("src", FileType.DIRECTORY, 4096, "2025-01-31T12:00:00Z")))))
        .isEqualTo(
            "{\"dir\":\"/home/user\",\"entries\":[{\"name\":\"src\",\"type\":\"directory\","
                + "\"size\":4096,\"modified\":\"2025-01-31T12:00:00Z\"}]}");
    assertThat(json.writeValueAsString(new Deleted("/home/user/l", FileType.SYMLINK)))
        .isEqualTo("{\"path\":\"/home/user/l\",\"type\":\"symlink\"}");
    assertThat(
            json.writeValueAsString(
                new GrepResult("q", "/home/user", List.of(new GrepMatch("/home/user/f", 3, "q")), true)))
        .isEqualTo(
            "{\"query\":\"q\",\"path\":\"/home/user\",\"matches\":[{\"file\":\"/home/user/f\","
                + "\"line\":3,\"content\":\"q\"}],\"truncated\":true}");
  }

  @Test
  void replacementsReadFromRequestBodies() {
    Replacement ranged =
        json.readValue(
            "{\"target\":\"a\",\"replacement\":\"b\",\"start_line\":2,\"end_line\":4,"
                + "\"allow_multiple\":true}",
            Replacement.class);
    Replacement plain =
        json.readValue("{\"target\":\"a\",\"replacement\":\"b\"}", Replacement.class);

    assertThat(ranged).isEqualTo(new Replacement("a", "b", OptionalInt.of(2), OptionalInt.of(4), true));
    assertThat(plain).isEqualTo(Replacement.of("a", "b"));
  }
}
