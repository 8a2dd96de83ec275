package dev.sandcastle.core.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sandcastle.core.errors.PathOutsideWorkspace;
import dev.sandcastle.core.errors.SandcastleException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time-of-check/time-of-use: sandboxed code flips {@code d} between a real directory and a link
 * to a directory outside the workspace as fast as it can, while other threads keep operating on
 * paths through {@code d}. Whatever interleaving happens, nothing outside may be read, created,
 * changed or deleted.
 */
class SymlinkRaceTest {
  static final String SECRET = "TOP SECRET";
  /** The race runs at least this long, and on until it has been real (see below). */
  static final Duration RACE = Duration.ofMillis(1500);
  /** A loaded machine gets this long to reach the flips and outcomes a real race needs. */
  static final Duration RACE_LIMIT = Duration.ofSeconds(30);
  static final int MIN_FLIPS = 1000;

  @TempDir Path base;

  @Test
  void flippingADirectoryAndAnOutwardLinkNeverLetsAnOperationOut() throws Exception {
    race(Owner.NONE);
  }

  /**
   * The same race with operations running as the workspace owner, and an outside that the owner
   * could read and write: only the confinement keeps it untouched.
   */
  @Test
  void flippingNeverLetsAnOperationOutWhenItRunsAsTheOwner() throws Exception {
    assumeThat(ThreadCredentials.effectiveUid()).as("needs a root server").isZero();
    race(new Owner(100_456, 100_456));
  }

  private void race(Owner owner) throws Exception {
    Path root = Files.createDirectory(base.resolve("ws"));
    Path outside = Files.createDirectory(base.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), SECRET);
    Path d = root.resolve("d");
    // The attacker keeps a real directory and a link to the outside ready next to d and swaps
    // them in and out with rename(2), thousands of times a second.
    Path realDir = Files.createDirectory(root.resolve(".d-dir"));
    Path outwardLink = Files.createSymbolicLink(root.resolve(".d-link"), outside);
    if (owner != Owner.NONE) {
      Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
      Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.setPosixFilePermissions(outside.resolve("secret.txt"), PosixFilePermissions.fromString("rw-rw-rw-"));
      Files.setPosixFilePermissions(realDir, PosixFilePermissions.fromString("rwxrwxrwx"));
      OwnerRightsTest.chown(root, owner.uid(), owner.gid());
    }
    WorkspaceFiles files = new WorkspaceFiles(root, "/home/user", owner, FileLimits.defaults());
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder flips = new LongAdder();
    Thread attacker =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (running.get()) {
                    try {
                      if (!Files.exists(realDir.resolve("secret.txt"), LinkOption.NOFOLLOW_LINKS)) {
                        Files.writeString(realDir.resolve("secret.txt"), "decoy");
                      }
                      rename(realDir, d);
                      rename(d, realDir);
                      rename(outwardLink, d);
                      rename(d, outwardLink);
                      flips.increment();
                    } catch (IOException e) {
                      repair(d, realDir, outwardLink, outside, owner);
                    }
                  }
                });

    AtomicBoolean leaked = new AtomicBoolean();
    LongAdder succeeded = new LongAdder();
    LongAdder refused = new LongAdder();
    Map<String, AtomicInteger> otherErrors = new ConcurrentHashMap<>();
    Map<String, String> sampleMessages = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    AtomicInteger counter = new AtomicInteger();
    List<Runnable> operations =
        List.of(
            () -> files.write("d/w" + counter.incrementAndGet() + ".txt", "", "x"),
            () -> files.mkdir("d/m" + counter.incrementAndGet() + "/n", ""),
            () -> {
              FileContent content =
                  files.read("d/secret.txt", "", OptionalInt.empty(), OptionalInt.empty());
              if (content instanceof TextContent text && text.content().contains(SECRET)) {
                leaked.set(true);
              }
            },
            () -> {
              try (RawFile raw = files.openRaw("d/secret.txt", "")) {
                if (new String(raw.stream().readAllBytes(), UTF_8).contains(SECRET)) {
                  leaked.set(true);
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            () -> files.delete("d/secret.txt", ""),
            () -> files.move("d/secret.txt", "moved" + counter.incrementAndGet(), ""),
            () ->
                files.upload(
                    "d", "", "u" + counter.incrementAndGet(), new ByteArrayInputStream(new byte[] {1})),
            () -> files.replace("d/secret.txt", "", List.of(Replacement.of("decoy", "changed"))),
            () -> {
              GrepResult result =
                  files.grep(new GrepQuery("SECRET", "d", "", false, false, List.of(), true, 5));
              if (!result.matches().isEmpty()) {
                leaked.set(true);
              }
            },
            () -> {
              ByteArrayOutputStream zip = new ByteArrayOutputStream();
              files.archive(List.of("d"), "", zip);
              if (unzippedContains(zip.toByteArray(), SECRET)) {
                leaked.set(true);
              }
            });

    AtomicBoolean racing = new AtomicBoolean(true);
    List<Thread> victims =
        Stream.of(0, 1, 2)
            .map(
                offset ->
                    Thread.ofPlatform()
                        .start(
                            () -> {
                              for (int i = offset; racing.get(); i++) {
                                try {
                                  operations.get(i % operations.size()).run();
                                  succeeded.increment();
                                } catch (PathOutsideWorkspace e) {
                                  refused.increment();
                                } catch (SandcastleException e) {
                                  otherErrors
                                      .computeIfAbsent(e.kind(), k -> new AtomicInteger())
                                      .incrementAndGet();
                                  sampleMessages.putIfAbsent(
                                      e.kind() + ":" + e.getMessage().replaceAll("\\d+", "N"), "");
                                } catch (RuntimeException | Error e) {
                                  unexpected.add(e);
                                }
                              }
                            }))
            .toList();
    // Run for RACE, and then on (up to RACE_LIMIT on a busy machine) until the race was real: the
    // attacker flipped often, and operations both got through (while d was a directory) and were
    // refused (while it was a link). Counting, not timing: CI's two shared cores once managed
    // only 937 flips in 1.5 s.
    long start = System.nanoTime();
    while (System.nanoTime() - start < RACE.toNanos()
        || (System.nanoTime() - start < RACE_LIMIT.toNanos()
            && (flips.sum() <= MIN_FLIPS || succeeded.sum() == 0 || refused.sum() == 0))) {
      Thread.sleep(20);
    }
    racing.set(false);
    for (Thread victim : victims) {
      victim.join();
    }
    running.set(false);
    attacker.join();
    files.close();

    try (Stream<Path> all = Files.walk(outside)) {
      assertThat(all.map(p -> outside.relativize(p).toString()))
          .as("nothing created or deleted outside")
          .containsExactlyInAnyOrder("", "secret.txt");
    }
    assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo(SECRET);
    assertThat(leaked).as("the secret was never returned").isFalse();
    assertThat(secretCopiesInside(root)).as("the secret was never copied or moved in").isZero();
    assertThat(unexpected).as("only the documented error kinds").isEmpty();
    assertThat(flips.sum()).as("the race was real: flips").isGreaterThan(MIN_FLIPS);
    assertThat(succeeded.sum()).isPositive();
    assertThat(refused.sum()).isPositive();
    System.out.printf(
        "race: %d flips, %d succeeded, %d refused, others %s%n  %s%n",
        flips.sum(), succeeded.sum(), refused.sum(), otherErrors,
        String.join("\n  ", new java.util.TreeSet<>(sampleMessages.keySet())));
  }

  private static void rename(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * After a failed swap (the server created d while it was missing, or a victim moved the
   * prepared directory away), put the prepared directory and link back in their places.
   */
  private static void repair(Path d, Path realDir, Path outwardLink, Path outside, Owner owner) {
    try {
      if (Files.isSymbolicLink(d) && !Files.exists(outwardLink, LinkOption.NOFOLLOW_LINKS)) {
        rename(d, outwardLink);
      } else if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)
          && !Files.exists(realDir, LinkOption.NOFOLLOW_LINKS)) {
        rename(d, realDir);
      } else {
        removeWithoutFollowing(d);
      }
      if (!Files.exists(realDir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(realDir);
        if (owner != Owner.NONE) {
          OwnerRightsTest.chown(realDir, owner.uid(), owner.gid());
        }
      }
      if (!Files.exists(outwardLink, LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(outwardLink, outside);
      }
    } catch (IOException ignored) {
      // try again on the next round
    }
  }

  /** What sandboxed code would do: remove d, whatever it is, without following links. */
  private static void removeWithoutFollowing(Path d) throws IOException {
    if (Files.isSymbolicLink(d)) {
      Files.delete(d);
      return;
    }
    if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(d);
      return;
    }
    Files.walkFileTree(
        d,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static boolean unzippedContains(byte[] zip, String text) {
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      while (in.getNextEntry() != null) {
        if (new String(in.readAllBytes(), UTF_8).contains(text)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Regular files inside the workspace (links not followed) whose content is the secret. */
  private static long secretCopiesInside(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .filter(
              p -> {
                try {
                  return Files.readString(p).contains(SECRET);
                } catch (IOException e) {
                  return false;
                }
              })
          .count();
    }
  }
}
