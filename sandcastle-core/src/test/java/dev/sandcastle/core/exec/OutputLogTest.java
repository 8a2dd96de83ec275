package dev.sandcastle.core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLogTest {
  @TempDir Path dir;

  @Test
  void entriesKeepTheirIndexesWhenOldOnesAreDropped() {
    OutputLog log = new OutputLog(dir.resolve("a.log"), 10, 1 << 20);
    for (int i = 0; i < 5; i++) {
      log.append(false, ("line" + i).getBytes(StandardCharsets.UTF_8));
    }
    assertThat(log.end()).isEqualTo(5);
    OutputLog.Slice all = log.slice(0, -1);
    assertThat(all.truncated()).isTrue();
    assertThat(all.entries()).extracting(OutputEntry::data).containsExactly("line3", "line4");
    assertThat(all.nextOffset()).isEqualTo(5);
    OutputLog.Slice rest = log.slice(4, -1);
    assertThat(rest.truncated()).isFalse();
    assertThat(rest.entries()).extracting(OutputEntry::data).containsExactly("line4");
  }

  @Test
  void tailReturnsTheLastEntriesAndSaysItCut() {
    OutputLog log = new OutputLog(dir.resolve("b.log"), 1 << 20, 1 << 20);
    log.append(false, "a".getBytes());
    log.append(true, "b".getBytes());
    log.append(false, "c".getBytes());
    OutputLog.Slice tail = log.slice(0, 2);
    assertThat(tail.entries()).containsExactly(new OutputEntry("stderr", "b"), new OutputEntry("stdout", "c"));
    assertThat(tail.truncated()).isTrue();
    assertThat(log.slice(0, 3).truncated()).isFalse();
  }

  @Test
  void multibyteCharactersSplitAcrossChunksDecodeWhole() {
    OutputLog log = new OutputLog(dir.resolve("c.log"), 1 << 20, 1 << 20);
    byte[] snow = "☃".getBytes(StandardCharsets.UTF_8);
    log.append(false, new byte[] {'x', snow[0]});
    log.append(false, new byte[] {snow[1], snow[2], 'y'});
    log.finish();
    String text = String.join("", log.slice(0, -1).entries().stream().map(OutputEntry::data).toList());
    assertThat(text).isEqualTo("x☃y");
  }

  @Test
  void theLogFileRotatesAtItsCapAndKeepsOnePart() throws Exception {
    Path file = dir.resolve("d.log");
    OutputLog log = new OutputLog(file, 1 << 20, 2048);
    for (int i = 0; i < 10; i++) {
      log.append(false, "x".repeat(1000).getBytes());
    }
    log.finish();
    assertThat(Files.size(file)).isLessThanOrEqualTo(2048);
    assertThat(Files.size(dir.resolve("d.log.1"))).isLessThanOrEqualTo(2048);
    log.delete();
    assertThat(file).doesNotExist();
    assertThat(dir.resolve("d.log.1")).doesNotExist();
  }
}
