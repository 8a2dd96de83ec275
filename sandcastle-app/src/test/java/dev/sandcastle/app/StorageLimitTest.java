package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sandcastle.core.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The local backend holds a home to its policy's storage (issue 13): a policy of 64 MiB, and
 * writing 100 MiB fails inside the workspace with ENOSPC and through the file API with 507, while
 * the data directory's disk keeps the rest and another tenant writes on; the dashboard's list
 * shows the use; a smaller limit than the use is refused, a larger one applies at the next start;
 * reset and delete leave no image, mount or loop device; a restart mounts homes again.
 */
@Tag("bwrap")
class StorageLimitTest {
  static final long SMALL = 64L << 20;
  static Path data;
  static Orchestrator server;
  static Http admin;

  @BeforeAll
  static void start() throws Exception {
    assumeThat(Sandbox.currentUid()).as("mounting homes needs root").isZero();
    assumeThat(Path.of("/dev/loop-control")).as("loop devices").exists();
    data = OrchestratorTest.newDataDir("sandcastle-storage");
    server = OrchestratorTest.start(data, Map.of(Setting.WARM_POOL, "0"));
    admin = OrchestratorTest.adminOf(server);
    assertThat(admin.post("/api/v1/policies", Map.of("id", "small", "storage_bytes", SMALL)).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
      assertThat(mountsUnder(data)).as("nothing stays mounted after the server stops").isEmpty();
      OrchestratorTest.deleteTree(data);
    }
  }


  static Http user(String id) {
    return admin.with("X-User-Id", id);
  }

  /** Mount points under a directory, from this process's mountinfo. */
  static List<String> mountsUnder(Path dir) {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(line -> line.split(" ")[4])
          .filter(point -> point.startsWith(dir.toString())).toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Bytes the data directory takes on the server's disk (its own file system only: mounted homes are not counted). */
  static long diskUse(Path dir) throws Exception {
    Process du = new ProcessBuilder("du", "-s", "-x", "-B1", dir.toString()).redirectErrorStream(true).start();
    String out = new String(du.getInputStream().readAllBytes());
    assertThat(du.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return Long.parseLong(out.split("\\s")[0]);
  }

  static JsonNode tenant(String userId, String policyId) {
    for (JsonNode item : admin.get("/api/v1/tenants").json()) {
      if (item.path("user_id").asString().equals(userId) && item.path("policy_id").asString().equals(policyId)) {
        return item;
      }
    }
    throw new AssertionError("no tenant of " + userId + " under " + policyId);
  }

  static List<String> loopDevicesOf(Path image) throws Exception {
    Process losetup = new ProcessBuilder("losetup", "-j", image.toString()).redirectErrorStream(true).start();
    String out = new String(losetup.getInputStream().readAllBytes()).strip();
    assertThat(losetup.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out.isEmpty() ? List.of() : out.lines().toList();
  }

  @Test
  void aFullHomeRefusesWritesInsideAndThroughTheApiAndNothingElse() throws Exception {
    assertThat(admin.get("/api/v1/status").json().path("storage_limits").asString()).isEqualTo("enforced");
    Http ada = user("ada");
    Http bob = user("bob");
    assertThat(output(bob.run("echo bob-was-here > mine.txt; cat mine.txt"))).isEqualTo("bob-was-here\n");
    long before = diskUse(data);

    String inside = output(ada.run("/p/small", "dd if=/dev/zero of=fill bs=1M count=100 2>&1 | grep -o 'No space left on device';"
        + " du -m fill | cut -f1"));
    assertThat(inside).startsWith("No space left on device\n");
    // The home is a file system of its own: the workspace's mount table does not name where it lies on the host.
    assertThat(output(ada.run("/p/small", "grep ' /home/user ' /proc/self/mountinfo"))).contains(" / /home/user ")
        .doesNotContain("homes/t");
    assertThat(Integer.parseInt(inside.lines().toList().get(1).trim())).isBetween(40, 64);

    // Full: the file API answers 507 with a problem, for a write and for an upload.
    Http.Response write = ada.post("/p/small/files/write", Map.of("path", "note.txt", "content", "x".repeat(1 << 20)));
    assertThat(write.status()).isEqualTo(507);
    assertThat(write.json().path("type").asString()).endsWith("/insufficient-storage");
    assertThat(write.json().path("detail").asString()).contains("out of disk space").doesNotContain(data.toString());
    Http.Response upload = ada.upload("/p/small/files/upload?directory=.", "big.bin", 10L << 20);
    assertThat(upload.status()).as(upload.text()).isEqualTo(507);
    ada.run("/p/small", "rm -f fill big.bin note.txt");
    // And with room again, a 40 MiB upload goes in.
    assertThat(ada.upload("/p/small/files/upload?directory=.", "big.bin", 40L << 20).status()).isEqualTo(200);

    // The server's disk took at most the image's size, and another tenant writes on.
    assertThat(diskUse(data) - before).as("bytes the data directory grew by").isLessThan(SMALL + (8L << 20));
    assertThat(output(bob.run("head -c 5000000 /dev/zero > more.bin && stat -c %s more.bin; cat mine.txt")))
        .isEqualTo("5000000\nbob-was-here\n");

    // The dashboard's list shows the use, against the limit.
    JsonNode usage = tenant("ada", "small").path("usage");
    assertThat(usage.path("disk_limit_bytes").asLong()).isBetween(SMALL / 2, SMALL);
    assertThat(usage.path("disk_bytes").asLong()).isGreaterThan(SMALL / 2);
    assertThat(tenant("bob", "default").path("usage").path("disk_limit_bytes").asLong()).isGreaterThan(1L << 30);
  }

  @Test
  void aSmallerLimitThanTheUseIsRefusedALargerOneAppliesAtTheNextStartAndResetAndDeleteFreeTheSpace() throws Exception {
    assertThat(admin.post("/api/v1/policies", Map.of("id", "growing", "storage_bytes", SMALL)).status()).isEqualTo(201);
    Http cleo = user("cleo");
    cleo.run("/p/growing", "head -c 40000000 /dev/zero > data.bin");
    String id = tenant("cleo", "growing").path("id").asString();
    Path image = data.resolve("volumes").resolve("t" + tenant("cleo", "growing").path("instance_id").asString().substring(1) + ".img");
    assertThat(image).exists();

    Http.Response shrink = admin.put("/api/v1/policies/growing", Map.of("storage_bytes", 16L << 20));
    assertThat(shrink.status()).isEqualTo(409);
    assertThat(shrink.json().path("detail").asString()).contains(id).contains("more than the new storage limit");

    assertThat(admin.put("/api/v1/policies/growing", Map.of("storage_bytes", 256L << 20)).status()).isEqualTo(200);
    assertThat(admin.post("/api/v1/tenants/" + id + "/stop", Map.of()).status()).isEqualTo(200);
    assertThat(loopDevicesOf(image)).as("a stopped workspace holds no loop device").isEmpty();
    long size = Long.parseLong(output(cleo.run("/p/growing", "stat -c %s data.bin; df -B1 --output=size . | tail -1")).lines().toList().get(1)
        .trim());
    assertThat(size).as("the home's size after the next start").isBetween(200L << 20, 256L << 20);
    assertThat(output(cleo.run("/p/growing", "stat -c %s data.bin"))).isEqualTo("40000000\n");

    // Reset: the image goes (with its loop device and mount); the next start has an empty home.
    assertThat(admin.post("/api/v1/tenants/" + id + "/reset", Map.of()).status()).isEqualTo(200);
    assertThat(image).doesNotExist();
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(loopDevicesOf(image)).isEmpty());
    assertThat(output(cleo.run("/p/growing", "ls -A | wc -l"))).isEqualTo("0\n");

    // Delete: nothing of the tenant is left on the disk.
    String home = "homes/t" + image.getFileName().toString().replaceAll("\\D", "");
    assertThat(mountsUnder(data.resolve(home))).hasSize(1);
    assertThat(admin.delete("/api/v1/tenants/" + id).status()).isIn(200, 204);
    assertThat(image).doesNotExist();
    assertThat(mountsUnder(data.resolve(home))).isEmpty();
    assertThat(data.resolve(home)).doesNotExist();
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(loopDevicesOf(image)).isEmpty());
  }

  @Test
  void aRestartMountsHomesAgainAndACrashLeavesNothingMountedForever() throws Exception {
    Path other = OrchestratorTest.newDataDir("sandcastle-storage-restart");
    Orchestrator first = OrchestratorTest.start(other, Map.of(Setting.WARM_POOL, "0"));
    Http dora = OrchestratorTest.adminOf(first).with("X-User-Id", "dora");
    dora.run("echo kept > kept.txt");
    assertThat(mountsUnder(other.resolve("homes"))).hasSize(1);
    first.close();
    assertThat(mountsUnder(other)).isEmpty();

    // As a crash would leave it: the home mounted, no server. The next start unmounts it and mounts it again on use.
    Path image = Files.list(other.resolve("volumes")).filter(p -> p.toString().endsWith(".img")).findFirst().orElseThrow();
    Path home = other.resolve("homes").resolve(image.getFileName().toString().replace(".img", ""));
    Process mount = new ProcessBuilder("mount", "-o", "loop", image.toString(), home.toString()).inheritIO().start();
    assertThat(mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0).isTrue();
    Orchestrator second = OrchestratorTest.start(other, Map.of(Setting.WARM_POOL, "0"));
    try {
      assertThat(mountsUnder(other)).as("reaped at start").isEmpty();
      Http again = OrchestratorTest.adminOf(second).with("X-User-Id", "dora");
      assertThat(output(again.run("cat kept.txt"))).isEqualTo("kept\n");
      assertThat(mountsUnder(other)).hasSize(1);
    } finally {
      second.close();
    }
    assertThat(mountsUnder(other)).isEmpty();
    // The older home moves into an image when its tenant starts: the files are there, on the image.
    Files.delete(image);
    Files.writeString(home.resolve("from-before.txt"), "older version\n");
    Orchestrator third = OrchestratorTest.start(other, Map.of(Setting.WARM_POOL, "0"));
    try {
      Http again = OrchestratorTest.adminOf(third).with("X-User-Id", "dora");
      assertThat(output(again.run("cat from-before.txt; df --output=source . | tail -1"))).startsWith("older version\n/dev/loop");
      assertThat(image).exists();
    } finally {
      third.close();
    }
    assertThat(home).isEmptyDirectory();
    OrchestratorTest.deleteTree(other);
  }
}
