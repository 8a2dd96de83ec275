package dev.sandcastle.orchestrator.backend.local;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.orchestrator.backend.Backend;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds each local workspace's home to its policy's storage: the home is an ext4 file system in a
 * sparse image file ({@code <data>/volumes/t<slot>.img}, the server's alone), mounted through a
 * loop device on the home's directory while the workspace runs. A full home answers writes with
 * ENOSPC, inside the sandbox and in the file API alike, and the disk under the data directory
 * keeps the rest: an image takes only what its files use (it is mounted with {@code discard}, so
 * deleting files gives the space back).
 *
 * <p>Needs root, the loop driver and e2fsprogs; {@link #detect} tries a small image once and says
 * why not, and then homes are plain directories ({@link #enforced()} false). A server that crashed
 * leaves its homes mounted: {@link #reap} unmounts them at the next start, and {@link #attach}
 * mounts a home again when its workspace starts. A larger storage limit applies at the next start
 * (the file system grows); a smaller one too when the files fit, else the home keeps its size and
 * the log says why.
 *
 * <p>Calls for one slot come one at a time (the backend's lifecycle contract); different slots
 * run concurrently.
 */
final class HomeVolumes {
  private static final Logger log = LoggerFactory.getLogger(HomeVolumes.class);
  /** The smallest image: ext4's own structures need a few MiB. */
  static final long MIN_BYTES = 16L << 20;
  private static final String MOUNT_OPTIONS = "loop,nosuid,nodev,noatime,noinit_itable,discard";
  private static final Pattern SLOT_IMAGE = Pattern.compile("t([0-9]+)\\.img");

  private final Path volumes;
  private final String notEnforced;
  /** Homes this server mounted and has not unmounted: what {@link #usage} measures, without reading mountinfo. */
  private final Set<Path> attached = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private HomeVolumes(Path volumes, String notEnforced) {
    this.volumes = volumes;
    this.notEnforced = notEnforced;
  }

  /** Homes as plain directories, for the reason given (for the log). */
  static HomeVolumes disabled(String reason) {
    return new HomeVolumes(null, reason);
  }

  /**
   * Volumes under {@code <dataDir>/volumes} if this server can make and mount them: it runs as
   * root, the tools are there, and a 16 MiB image can be made, mounted and removed. Logs a warning
   * with the reason when not.
   */
  static HomeVolumes detect(Path dataDir) {
    String reason = missing(dataDir.resolve("volumes"));
    if (reason != null) {
      log.warn("storage limits are not enforced on the local backend: {}; a workspace can fill the disk of {}", reason, dataDir);
      return disabled(reason);
    }
    log.info("workspace homes are ext4 images under {}, each the size of its policy's storage", dataDir.resolve("volumes"));
    return new HomeVolumes(dataDir.resolve("volumes"), null);
  }

  private static String missing(Path volumes) {
    if (Sandbox.currentUid() != 0) {
      return "the server does not run as root (mounting a home's image needs it)";
    }
    if (!Files.exists(Path.of("/dev/loop-control"))) {
      return "this kernel has no loop devices (/dev/loop-control)";
    }
    for (String tool : List.of("mkfs.ext4", "e2fsck", "resize2fs", "mount", "umount")) {
      if (Stream.of("/usr/sbin", "/sbin", "/usr/bin", "/bin").noneMatch(dir -> Files.isExecutable(Path.of(dir, tool)))) {
        return tool + " is not installed (e2fsprogs, mount)";
      }
    }
    try {
      Files.createDirectories(volumes);
      Files.setPosixFilePermissions(volumes, PosixFilePermissions.fromString("rwx------"));
      Path image = volumes.resolve("probe.img");
      Path mountPoint = volumes.resolve("probe");
      try {
        Files.createDirectories(mountPoint);
        HomeVolumes probe = new HomeVolumes(volumes, null);
        probe.format(image, MIN_BYTES, 0, 0);
        probe.mount(image, mountPoint);
        probe.unmount(mountPoint);
      } finally {
        Files.deleteIfExists(image);
        Files.deleteIfExists(mountPoint);
      }
      return null;
    } catch (RuntimeException | IOException e) {
      return "a test image could not be made and mounted (" + e.getMessage() + ")";
    }
  }

  /** Whether homes are held to their storage limit. */
  boolean enforced() {
    return volumes != null;
  }

  /** Why homes are not held to their limit ({@code null} when they are). */
  String notEnforcedReason() {
    return notEnforced;
  }

  private Path image(long slot) {
    return volumes.resolve("t" + slot + ".img");
  }

  /**
   * Mounts the slot's image on {@code home}, making it (empty, owned by the account) or resizing
   * it to {@code bytes} first. Does nothing when homes are plain directories or it is mounted.
   *
   * @throws Unavailable the image could not be made or mounted: the workspace must not start on
   *     the bare directory, whose writes would go to the server's disk unbounded
   */
  void attach(long slot, Path home, long bytes, int uid, int gid) {
    if (!enforced() || mounted(home)) {
      return;
    }
    long size = Math.max(MIN_BYTES, bytes);
    Path image = image(slot);
    try {
      Files.createDirectories(home);
      if (!Files.exists(image)) {
        format(image, size, uid, gid);
        moveIn(image, home);
      } else if (Files.size(image) != size) {
        resize(image, size);
      }
      mount(image, home);
      attached.add(home);
    } catch (IOException e) {
      throw new Unavailable("the workspace's disk could not be prepared", e);
    }
    // mkfs and e2fsck make lost+found; a home shows none while it is empty (e2fsck makes it again when it needs one).
    Path lostFound = home.resolve("lost+found");
    if (Files.isDirectory(lostFound, LinkOption.NOFOLLOW_LINKS)) {
      try {
        Files.delete(lostFound);
      } catch (IOException e) {
        log.debug("lost+found stays in {}: {}", home, e.toString()); // not empty: e2fsck put something there
      }
    }
  }

  /** Unmounts the home (its workspace is stopped); the image stays for the next start. */
  void detach(Path home) {
    attached.remove(home);
    if (enforced() && mounted(home)) {
      unmount(home);
    }
  }

  /** Unmounts the home and deletes the slot's image: its files are gone and the disk has the space back. */
  void delete(long slot, Path home) {
    if (!enforced()) {
      return;
    }
    detach(home);
    try {
      Files.deleteIfExists(image(slot));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete a workspace's disk image", e);
    }
  }

  /** Whether the slot has an image (its home holds files to keep). */
  boolean exists(long slot) {
    return enforced() && Files.exists(image(slot));
  }

  /** Use and size of a mounted home's file system. */
  Optional<Backend.DiskUsage> usage(Path home) {
    if (!attached.contains(home)) {
      return Optional.empty();
    }
    try {
      FileStore store = Files.getFileStore(home);
      long total = store.getTotalSpace();
      return Optional.of(new Backend.DiskUsage(total - store.getUnallocatedSpace(), total));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * At start: unmounts every home under {@code homes} that a previous run left mounted, and
   * deletes the images of slots no known tenant holds (spares of a crashed run).
   */
  void reap(Path homes, Set<Long> known) {
    if (!enforced()) {
      return;
    }
    for (Path mountPoint : mountsUnder(homes)) {
      log.info("unmounting {}, left mounted by an earlier run", mountPoint);
      unmount(mountPoint);
    }
    try (var images = Files.list(volumes)) {
      for (Path image : images.toList()) {
        Matcher slot = SLOT_IMAGE.matcher(image.getFileName().toString());
        if (slot.matches() && !known.contains(Long.parseLong(slot.group(1)))) {
          log.info("deleting {}: no tenant holds its slot", image.getFileName());
          Files.deleteIfExists(image);
        }
      }
    } catch (IOException e) {
      log.warn("cannot list leftover images in {}: {}", volumes, e.toString());
    }
  }

  private void format(Path image, long bytes, int uid, int gid) {
    try {
      Files.deleteIfExists(image);
      Files.createFile(image, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
        file.setLength(bytes); // sparse: the disk holds only what the file system writes
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a disk image", e);
    }
    List<String> command = new ArrayList<>(List.of("mkfs.ext4", "-q", "-F", "-m", "0", "-E",
        "root_owner=" + uid + ":" + gid + ",lazy_itable_init=1,nodiscard"));
    if (bytes >= 1L << 30) {
      // The default journal of a large image takes 64 MiB or more of the host's disk at once, even for an empty home.
      command.addAll(List.of("-J", "size=8"));
    }
    command.add(image.toString());
    check(Tools.run(command), "mkfs.ext4", image);
  }

  /**
   * A home that has files but no image yet (made by a version without storage limits) moves into
   * its new image, as it is (owners, modes, links), before the image is mounted over it; its
   * workspace is stopped, so nothing changes it meanwhile. Files that do not fit leave the home as
   * it was and the start fails, saying so: hiding them under an empty image would look like loss.
   */
  private void moveIn(Path image, Path home) throws IOException {
    try (var children = Files.list(home)) {
      if (children.findAny().isEmpty()) {
        return;
      }
    }
    Path staging = volumes.resolve(image.getFileName() + ".moving");
    Files.createDirectories(staging);
    try {
      mount(image, staging);
      Tools.Result copied;
      try {
        copied = Tools.run(List.of("cp", "-a", "--one-file-system", "--", home + "/.", staging + "/"));
      } finally {
        unmount(staging);
      }
      if (!copied.ok()) {
        Files.deleteIfExists(image);
        log.warn("the home {} stays as it is: its files do not fit in its policy's storage ({})", home, copied.firstLine());
        throw new Unavailable("this workspace holds more files than its policy's storage allows; an administrator must raise"
            + " the policy's storage for it to start");
      }
      check(Tools.run(List.of("find", home.toString(), "-mindepth", "1", "-maxdepth", "1", "-exec", "rm", "-rf",
          "--one-file-system", "--", "{}", "+")), "rm", home);
      log.info("moved the files of {} into its image", home);
    } finally {
      Files.deleteIfExists(staging);
    }
  }

  private void resize(Path image, long bytes) throws IOException {
    long current = Files.size(image);
    Tools.Result checked = Tools.run(List.of("e2fsck", "-f", "-p", image.toString()));
    if (checked.exit() >= 4) { // 1 and 2: errors corrected (such as a lost+found made again)
      check(checked, "e2fsck", image);
    }
    if (bytes > current) {
      try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
        file.setLength(bytes);
      }
      check(Tools.run(List.of("resize2fs", image.toString())), "resize2fs", image);
      log.info("{} grown from {} to {} MiB", image.getFileName(), current >> 20, bytes >> 20);
      return;
    }
    // resize2fs refuses to shrink below what the files need, and then nothing changed.
    Tools.Result shrunk = Tools.run(List.of("resize2fs", image.toString(), (bytes >> 10) + "K"));
    if (shrunk.ok()) {
      log.info("{} shrunk from {} to {} MiB", image.getFileName(), current >> 20, bytes >> 20);
    } else {
      log.warn("{} keeps its {} MiB: its files do not fit in the policy's {} MiB ({})", image.getFileName(), current >> 20,
          bytes >> 20, shrunk.firstLine());
    }
  }

  private void mount(Path image, Path mountPoint) {
    check(Tools.run(List.of("mount", "-t", "ext4", "-o", MOUNT_OPTIONS, image.toString(), mountPoint.toString())), "mount", image);
  }

  private void unmount(Path mountPoint) {
    Tools.Result result = Tools.run(List.of("umount", mountPoint.toString()));
    if (!result.ok() && mounted(mountPoint)) {
      // Busy (a file the server still has open): detached now, released (with its loop device) once closed.
      log.warn("unmounting {} lazily: {}", mountPoint, result.firstLine());
      check(Tools.run(List.of("umount", "-l", mountPoint.toString())), "umount", mountPoint);
    }
  }

  private static void check(Tools.Result result, String tool, Path subject) {
    if (!result.ok()) {
      log.warn("{} failed on {}: {}", tool, subject, result.output().strip());
      throw new Unavailable(tool + " failed on the workspace's disk: " + result.firstLine());
    }
  }

  /** At shutdown: unmounts every home under {@code homes}; the images stay for the next run. */
  void detachAll(Path homes) {
    attached.clear();
    if (enforced()) {
      mountsUnder(homes).forEach(this::unmount);
    }
  }

  /** Whether something is mounted exactly on this directory. */
  static boolean mounted(Path dir) {
    String target = dir.toAbsolutePath().normalize().toString();
    return mountPoints().anyMatch(target::equals);
  }

  private static List<Path> mountsUnder(Path dir) {
    Path parent = dir.toAbsolutePath().normalize();
    return mountPoints().map(Path::of).filter(p -> p.startsWith(parent) && !p.equals(parent))
        .sorted(java.util.Comparator.reverseOrder()).toList();
  }

  /** Mount points of this mount namespace, from /proc/self/mountinfo (field 5, octal escapes decoded). */
  private static Stream<String> mountPoints() {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(line -> line.split(" "))
          .filter(fields -> fields.length > 4).map(fields -> unescape(fields[4]));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
    }
  }

  private static String unescape(String field) {
    Matcher octal = Pattern.compile("\\\\([0-7]{3})").matcher(field);
    StringBuilder out = new StringBuilder();
    while (octal.find()) {
      octal.appendReplacement(out, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(octal.group(1), 8))));
    }
    octal.appendTail(out);
    return out.toString();
  }
}
