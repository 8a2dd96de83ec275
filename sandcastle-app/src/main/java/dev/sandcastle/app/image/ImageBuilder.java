package dev.sandcastle.app.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code sandcastle image build}: the sandbox image of the container backends, built with no
 * registry: a Debian root file system from debootstrap (the packages of {@code packages.txt}) made
 * smaller by {@code slim.sh}, a Java runtime cut down by jlink from the JDK, the Sandcastle jar, its
 * launcher ({@code sandcastle.sh}) and an unprivileged user ({@value #UID}, {@code user}, home
 * {@value #HOME}); then a training run of the workspace server ({@code train-aot.sh}, in bubblewrap
 * over the image's own file system) writes the JVM's AOT cache into it; loaded with {@code docker
 * import}, which also sets the entry point ({@code sandcastle terminal --sandbox none} on port
 * {@value #PORT}), user, port, working directory, environment and health check. {@code --output}
 * also writes a tar for {@code docker load}. The launcher and both scripts are resources that
 * {@code deploy/docker/Dockerfile} copies too, so both ways make the same image.
 *
 * <p>Every part is cached under the cache directory and rebuilt only when its inputs change: the
 * root file system is keyed by the package list, suite and mirror; the slimmed copy by that and
 * {@code slim.sh}; the runtime by the JDK and the jlink options; the assembled tree (a hard-linked
 * copy of the slimmed file system) gets a new runtime, jar or launcher only when theirs changed; the
 * AOT cache is trained again when the runtime, jar, launcher or training script changed; and the
 * import is skipped when the image under the tag already has this content (label {@value
 * #CONTENT_LABEL}). Progress goes to the given writer (stderr).
 */
public final class ImageBuilder {
  public static final String DEFAULT_TAG = "sandcastle/sandbox:latest"; // the default of --image
  public static final String HOME = "/home/user";
  public static final int UID = 1000;
  public static final int PORT = 8000;
  public static final String CONTENT_LABEL = "dev.sandcastle.content";
  static final String OPT = "opt/sandcastle";
  /** The image's {@code sandcastle} command (resource {@code sandcastle.sh}): JVM options per command, the AOT cache. */
  static final String LAUNCHER = resource("sandcastle.sh");
  /** Makes the root file system smaller, run inside it as root (resource {@code slim.sh}). */
  static final String SLIM = resource("slim.sh");
  /** The AOT cache's training run, inside the image's file system as its user (resource {@code train-aot.sh}). */
  static final String TRAIN_AOT = resource("train-aot.sh");
  /** Where the image keeps the AOT cache; the launcher uses it when it is there. */
  static final String AOT_CACHE = OPT + "/sandcastle.aot";
  private static final long JAR_TIME = 946_684_800_000L; // 2000-01-01

  /** The modules the jar needs (jdeps --print-module-deps, plus what is loaded reflectively). */
  static final List<String> JAVA_MODULES = List.of("java.base", "java.compiler", "java.desktop", "java.instrument", "java.logging",
      "java.management", "java.naming", "java.net.http", "java.rmi", "java.scripting", "java.security.jgss", "java.sql", "java.xml",
      "jdk.charsets", "jdk.crypto.ec", "jdk.httpserver", "jdk.jfr", "jdk.management", "jdk.net", "jdk.unsupported", "jdk.zipfs");
  /**
   * How jlink cuts the runtime: no debug attributes, man pages or headers; the modules file
   * compressed (127 MB of runtime became 66 MB; classes a workspace loads come from the AOT cache,
   * so the start-up did not measurably change); no default CDS archive (29 MB), which the AOT cache
   * replaces.
   */
  static final List<String> JLINK_OPTIONS = List.of("--strip-debug", "--no-man-pages", "--no-header-files", "--compress", "zip-6");

  // Bump when the steps that make the root file system change, so caches made by older steps are not reused.
  private static final String ROOTFS_RECIPE = "1";

  /**
   * @param tag the image's name in the local engine
   * @param cacheDir where the root file system, runtime and assembled tree are kept between builds
   * @param jar the Sandcastle jar to put in the image
   * @param jdk the JDK whose jlink makes the runtime
   * @param output also write the image as a {@code docker load} tar here
   * @param suite the Debian release, e.g. {@code bookworm}
   * @param mirror the Debian mirror, e.g. {@code http://deb.debian.org/debian}
   */
  public record Options(String tag, Path cacheDir, Path jar, Path jdk, Optional<Path> output, String suite, String mirror) {
    public Options {
      if (tag == null || !tag.matches("[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_.-]{1,128})?")) {
        throw new IllegalArgumentException("not an image name: " + tag);
      }
      if (!suite.matches("[a-z]+")) {
        throw new IllegalArgumentException("not a Debian suite: " + suite);
      }
      if (!mirror.matches("https?://[^\\s]+")) {
        throw new IllegalArgumentException("not a mirror URL: " + mirror);
      }
    }
  }

  private final Options options;
  private final PrintWriter progress;

  public ImageBuilder(Options options, PrintWriter progress) {
    this.options = options;
    this.progress = progress;
  }

  /** The image's Debian packages, as {@code packages.txt} lists them (the one list of them). */
  public static List<String> packages() {
    return resource("packages.txt").lines().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
  }

  /** A text file of this package's resources. */
  static String resource(String name) {
    try (InputStream in = ImageBuilder.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The machine's Debian mirror: the first {@code deb} source of {@code /etc/apt/sources.list} or
   * {@code sources.list.d} (one-line or deb822 format) that is not the security archive.
   */
  public static String machineMirror() {
    List<Path> files = new ArrayList<>();
    files.add(Path.of("/etc/apt/sources.list"));
    try (var listed = Files.list(Path.of("/etc/apt/sources.list.d"))) {
      listed.filter(p -> p.toString().endsWith(".list") || p.toString().endsWith(".sources")).sorted().forEach(files::add);
    } catch (IOException e) {
      // no sources.list.d
    }
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        continue;
      }
      try {
        Optional<String> found = mirrorIn(Files.readString(file));
        if (found.isPresent()) {
          return found.get();
        }
      } catch (IOException e) {
        // unreadable: try the next
      }
    }
    return "http://deb.debian.org/debian";
  }

  static Optional<String> mirrorIn(String sources) {
    boolean deb822 = false;
    for (String raw : sources.lines().toList()) {
      String line = raw.strip();
      if (line.startsWith("#") || line.isEmpty()) {
        deb822 = false;
        continue;
      }
      if (line.startsWith("Types:")) {
        deb822 = List.of(line.substring(6).trim().split("\\s+")).contains("deb");
      } else if (line.startsWith("URIs:") && deb822) {
        for (String uri : line.substring(5).trim().split("\\s+")) {
          if (isDebianMirror(uri)) {
            return Optional.of(uri);
          }
        }
      } else if (line.startsWith("deb ")) {
        for (String word : line.substring(4).trim().split("\\s+")) {
          if (word.startsWith("[")) {
            continue;
          }
          if (isDebianMirror(word)) {
            return Optional.of(word);
          }
          break;
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isDebianMirror(String uri) {
    return uri.matches("https?://\\S+") && !uri.contains("security") && uri.replaceAll("/+$", "").endsWith("/debian");
  }

  /** Builds (or reuses) every part and loads the image; returns the image's id. */
  public String build() {
    if (!Files.isRegularFile(options.jar())) {
      throw new IllegalStateException("the Sandcastle jar is missing: " + options.jar() + " (build it: ./mvnw -DskipTests package)");
    }
    try {
      Files.createDirectories(options.cacheDir());
      Path rootfs = slim(rootfs());
      Path runtime = runtime();
      String jarHash = sha256(options.jar());
      Path tree = assemble(rootfs, runtime, jarHash);
      String aot = trainAot(tree, hash(runtime.getFileName().toString(), jarHash, LAUNCHER, TRAIN_AOT));
      String content = hash(rootfs.getFileName().toString(), runtime.getFileName().toString(), jarHash, LAUNCHER, aot,
          String.join("\n", changes("")));
      String id = load(tree, content);
      if (options.output().isPresent()) {
        step(7, "writing " + options.output().get() + " (docker load -i)");
        run(List.of("docker", "save", "-o", options.output().get().toString(), options.tag()), null, line -> {});
      }
      step(7, "done: " + options.tag() + " (" + id + ")");
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Step 1: the Debian root file system with the packages and the user, cached by package list, suite and mirror. */
  private Path rootfs() throws IOException {
    List<String> packages = packages();
    String key = hash(ROOTFS_RECIPE, options.suite(), options.mirror().replaceAll("/+$", ""), String.join(",", packages));
    Path dir = options.cacheDir().resolve("rootfs-" + key);
    if (Files.exists(dir.resolve(".complete"))) {
      step(1, "Debian root file system: cached (" + dir.getFileName() + ")");
      return dir;
    }
    if (!Files.isExecutable(Path.of("/usr/sbin/debootstrap"))) {
      throw new IllegalStateException("debootstrap is missing: apt-get install debootstrap (or run bin/docker-up)");
    }
    Path partial = options.cacheDir().resolve("rootfs-" + key + ".partial");
    removeTree(partial);
    step(1, "Debian root file system: debootstrap " + options.suite() + " from " + options.mirror() + " with " + packages.size()
        + " packages (a few minutes, once)");
    int[] retrieved = {0};
    run(List.of("/usr/sbin/debootstrap", "--variant=minbase", "--components=main", "--include=" + String.join(",", packages),
        options.suite(), partial.toString(), options.mirror()), null, line -> {
          if (line.startsWith("I: Retrieving") || line.startsWith("I: Validating")) {
            if (line.startsWith("I: Retrieving") && ++retrieved[0] % 50 == 0) {
              progress.println("  ... " + retrieved[0] + " packages retrieved");
              progress.flush();
            }
          } else if (line.startsWith("I: ") || line.startsWith("E: ") || line.startsWith("W: ")) {
            progress.println("  " + line);
            progress.flush();
          }
        });
    // The unprivileged user the workspace runs as; home on the container's volume.
    Files.writeString(partial.resolve("etc/passwd"), "user:x:" + UID + ":" + UID + ":Sandcastle user:" + HOME + ":/bin/bash\n",
        java.nio.file.StandardOpenOption.APPEND);
    Files.writeString(partial.resolve("etc/group"), "user:x:" + UID + ":\n", java.nio.file.StandardOpenOption.APPEND);
    if (Files.exists(partial.resolve("etc/shadow"))) {
      Files.writeString(partial.resolve("etc/shadow"), "user:!:19000:0:99999:7:::\n", java.nio.file.StandardOpenOption.APPEND);
    }
    Path home = partial.resolve(HOME.substring(1));
    Files.createDirectories(home);
    run(List.of("chown", UID + ":" + UID, home.toString()), null, line -> {});
    run(List.of("chmod", "0755", home.toString()), null, line -> {});
    // No package manager use at run time (read-only, unprivileged): drop the caches.
    for (String cache : List.of("var/cache/apt/archives", "var/lib/apt/lists", "var/cache/apt")) {
      Path path = partial.resolve(cache);
      if (Files.isDirectory(path)) {
        try (var children = Files.list(path)) {
          for (Path child : children.toList()) {
            if (Files.isRegularFile(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
              Files.delete(child);
            }
          }
        }
      }
    }
    Files.createDirectories(partial.resolve(OPT));
    Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(dir.resolve(".complete"), key + "\n");
    return dir;
  }

  /**
   * Step 2: a copy of the root file system made smaller by {@code slim.sh} (run under chroot as
   * root: dpkg purges what the dependency resolver dragged in, documentation and test suites go),
   * cached by the root file system and the script.
   */
  private Path slim(Path rootfs) throws IOException {
    String key = hash(rootfs.getFileName().toString(), SLIM);
    Path dir = options.cacheDir().resolve("slim-" + key);
    if (Files.exists(dir.resolve(".complete"))) {
      step(2, "smaller root file system: cached (" + dir.getFileName() + ")");
      return dir;
    }
    step(2, "smaller root file system: removing compilers, headers, documentation and test suites (a minute, once)");
    Path partial = options.cacheDir().resolve("slim-" + key + ".partial");
    removeTree(partial);
    run(List.of("cp", "-a", rootfs.toString(), partial.toString()), null, line -> progress.println("  " + line));
    Files.deleteIfExists(partial.resolve(".complete"));
    run(List.of("chroot", partial.toString(), "/bin/sh", "-s"), new java.io.ByteArrayInputStream(SLIM.getBytes(StandardCharsets.UTF_8)),
        line -> progress.println("  " + line));
    Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(dir.resolve(".complete"), key + "\n");
    return dir;
  }

  /** Step 3: the Java runtime, cut down by jlink, cached by the JDK's release, the module list and jlink's options. */
  private Path runtime() throws IOException {
    Path release = options.jdk().resolve("release");
    Path jlink = options.jdk().resolve("bin/jlink");
    if (!Files.isExecutable(jlink)) {
      throw new IllegalStateException("no jlink in " + options.jdk() + ": point --jdk at a JDK 25");
    }
    String key = hash(Files.isRegularFile(release) ? Files.readString(release) : options.jdk().toString(), String.join(",", JAVA_MODULES),
        String.join(" ", JLINK_OPTIONS));
    Path dir = options.cacheDir().resolve("java-" + key);
    if (Files.exists(dir.resolve("bin/java"))) {
      step(3, "Java runtime: cached (" + dir.getFileName() + ")");
      return dir;
    }
    Path partial = options.cacheDir().resolve("java-" + key + ".partial");
    removeTree(partial);
    step(3, "Java runtime: jlink " + JAVA_MODULES.size() + " modules from " + options.jdk());
    List<String> jlinkCommand = new ArrayList<>(List.of(jlink.toString(), "--add-modules", String.join(",", JAVA_MODULES)));
    jlinkCommand.addAll(JLINK_OPTIONS);
    jlinkCommand.addAll(List.of("--output", partial.toString()));
    run(jlinkCommand, null, line -> progress.println("  " + line));
    Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
    return dir;
  }

  /**
   * Step 3: the image's tree, a hard-linked copy of the root file system (made once per root file
   * system) whose runtime and jar are replaced when they changed.
   */
  private Path assemble(Path rootfs, Path runtime, String jarHash) throws IOException {
    Path tree = options.cacheDir().resolve("tree-" + rootfs.getFileName().toString().substring("slim-".length()));
    if (!Files.isDirectory(tree)) {
      step(4, "image tree: linking the root file system");
      Path partial = options.cacheDir().resolve(tree.getFileName() + ".partial");
      removeTree(partial);
      run(List.of("cp", "-al", rootfs.toString(), partial.toString()), null, line -> progress.println("  " + line));
      Files.deleteIfExists(partial.resolve(".complete"));
      Files.move(partial, tree, StandardCopyOption.ATOMIC_MOVE);
    }
    Path opt = tree.resolve(OPT);
    Files.createDirectories(opt);
    Path runtimeMark = opt.resolve(".java");
    String runtimeName = runtime.getFileName().toString();
    if (!Files.exists(runtimeMark) || !Files.readString(runtimeMark).equals(runtimeName)) {
      step(4, "image tree: copying the Java runtime");
      removeTree(opt.resolve("java"));
      run(List.of("cp", "-a", runtime.toString(), opt.resolve("java").toString()), null, line -> progress.println("  " + line));
      Files.writeString(runtimeMark, runtimeName);
    } else {
      step(4, "image tree: Java runtime unchanged");
    }
    writeScript(tree.resolve("usr/local/bin/sandcastle"), LAUNCHER);
    writeScript(opt.resolve("train-aot"), TRAIN_AOT);
    Path jarMark = opt.resolve(".jar");
    if (!Files.exists(jarMark) || !Files.readString(jarMark).equals(jarHash)) {
      step(4, "image tree: copying the jar " + options.jar());
      Path temp = opt.resolve("sandcastle.jar.tmp");
      Files.copy(options.jar(), temp, StandardCopyOption.REPLACE_EXISTING);
      temp.toFile().setReadable(true, false);
      // The AOT cache records the jar's size and time and is refused for another: a fixed time
      // keeps a cache trained on the same jar valid however often the tree is assembled.
      Files.setLastModifiedTime(temp, java.nio.file.attribute.FileTime.fromMillis(JAR_TIME));
      Files.move(temp, opt.resolve("sandcastle.jar"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.writeString(jarMark, jarHash);
    } else {
      step(4, "image tree: jar unchanged");
    }
    return tree;
  }

  private static void writeScript(Path path, String text) throws IOException {
    if (!Files.exists(path) || !Files.readString(path).equals(text)) {
      Files.deleteIfExists(path); // never write through a hard link into the cached root file system
      Files.writeString(path, text);
      Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  /**
   * Step 5: the AOT cache, from {@code train-aot.sh} run as the workspace user in bubblewrap over
   * the image's tree (read-only; its own /tmp, home, loopback network, process and user namespaces;
   * an empty environment), so that the cache names the very paths the image has; cached by its
   * inputs ({@code key}). Also the check that the image's Java runs the workspace server. Returns
   * the key of the cache in the tree.
   */
  private String trainAot(Path tree, String key) throws IOException {
    Path cached = options.cacheDir().resolve("aot-" + key + ".aot");
    Path inTree = tree.resolve(AOT_CACHE);
    Path mark = tree.resolve(OPT).resolve(".aot");
    if (Files.exists(mark) && Files.readString(mark).equals(key) && Files.exists(inTree)) {
      step(5, "AOT cache: unchanged");
      return key;
    }
    if (!Files.exists(cached)) {
      if (!Files.isExecutable(Path.of("/usr/bin/bwrap"))) {
        throw new IllegalStateException("bubblewrap is missing: apt-get install bubblewrap (or run bin/setup)");
      }
      step(5, "AOT cache: a training run of the workspace server (seconds)");
      Path work = options.cacheDir().resolve("aot-" + key + ".partial");
      removeTree(work);
      Files.createDirectories(work);
      run(List.of("/usr/bin/bwrap", "--unshare-all", "--unshare-user", "--uid", Integer.toString(UID), "--gid", Integer.toString(UID),
          "--die-with-parent", "--ro-bind", tree.toString(), "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
          "--tmpfs", HOME, "--bind", work.toString(), "/mnt", "--chdir", "/",
          "/usr/bin/env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + HOME, "LANG=C.UTF-8",
          "/bin/sh", "/" + OPT + "/train-aot", "/mnt/sandcastle.aot"), null, line -> progress.println("  " + line));
      Files.move(work.resolve("sandcastle.aot"), cached, StandardCopyOption.ATOMIC_MOVE);
      removeTree(work);
      // Each new jar trains a new cache (~40 MB): keep only this one.
      try (var old = Files.newDirectoryStream(options.cacheDir(), "aot-*.aot")) {
        for (Path other : old) {
          if (!other.equals(cached)) {
            Files.deleteIfExists(other);
          }
        }
      }
    } else {
      step(5, "AOT cache: cached (" + cached.getFileName() + ")");
    }
    Path temp = tree.resolve(AOT_CACHE + ".tmp");
    Files.copy(cached, temp, StandardCopyOption.REPLACE_EXISTING);
    temp.toFile().setReadable(true, false);
    Files.move(temp, inTree, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(mark, key);
    return key;
  }

  /** Step 6: docker import with the image's configuration, unless the tag already has this content. */
  private String load(Path tree, String content) throws IOException {
    StringBuilder current = new StringBuilder();
    try {
      run(List.of("docker", "image", "inspect", "--format", "{{index .Config.Labels \"" + CONTENT_LABEL + "\"}} {{.Id}}", options.tag()),
          null, line -> current.append(line.trim()));
    } catch (IllegalStateException e) {
      // not there yet
    }
    if (current.toString().startsWith(content + " ")) {
      step(6, "docker image " + options.tag() + " is up to date");
      return current.substring(content.length() + 1);
    }
    step(6, "docker import as " + options.tag());
    List<String> command = new ArrayList<>(List.of("docker", "import"));
    for (String change : changes(content)) {
      command.add("--change");
      command.add(change);
    }
    command.add("-");
    command.add(options.tag());
    Process tar = new ProcessBuilder("tar", "--numeric-owner", "--xattrs", "-C", tree.toString(), "--exclude=./dev/*",
        "--exclude=./proc/*", "--exclude=./sys/*", "--exclude=./.complete", "-c", ".")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    StringBuilder id = new StringBuilder();
    run(command, tar.getInputStream(), line -> id.append(line.trim()));
    try {
      if (!tar.waitFor(10, TimeUnit.MINUTES) || tar.exitValue() != 0) {
        throw new IllegalStateException("tar of the image tree failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
    return id.toString();
  }

  /** The image configuration, as {@code docker import --change} instructions. */
  static List<String> changes(String content) {
    return List.of(
        "ENTRYPOINT [\"/usr/local/bin/sandcastle\"]",
        "CMD [\"terminal\", \"--sandbox\", \"none\", \"--host\", \"0.0.0.0\", \"--port\", \"" + PORT + "\", \"--workspace\", \"" + HOME
            + "\", \"--data-dir\", \"/tmp/.sandcastle\"]",
        "USER " + UID + ":" + UID,
        "WORKDIR " + HOME,
        "EXPOSE " + PORT,
        "ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=" + HOME + " LANG=C.UTF-8 SANDCASTLE_GENERATE_API_KEY=false",
        "HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD [\"curl\", \"-fsS\", \"-o\", \"/dev/null\", \"http://127.0.0.1:"
            + PORT + "/health\"]",
        "LABEL " + CONTENT_LABEL + "=" + content + " org.opencontainers.image.title=sandcastle-sandbox");
  }

  private void step(int n, String text) {
    progress.println("sandcastle image: [" + n + "/7] " + text);
    progress.flush();
  }

  /** Runs a command to its end, feeding it {@code input} (or nothing) and its output lines to {@code lines}. */
  private static void run(List<String> command, InputStream input, Consumer<String> lines) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectInput(input == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null")) : ProcessBuilder.Redirect.PIPE)
          .start();
      Thread feeder = null;
      if (input != null) {
        feeder = Thread.ofVirtual().start(() -> {
          try (var to = process.getOutputStream(); input) {
            input.transferTo(to);
          } catch (IOException e) {
            // the command ended early; its exit status tells
          }
        });
      }
      List<String> tail = new ArrayList<>();
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = reader.readLine()) != null; ) {
          lines.accept(line);
          tail.add(line);
          if (tail.size() > 20) {
            tail.removeFirst();
          }
        }
      }
      int status = process.waitFor();
      if (feeder != null) {
        feeder.join();
      }
      if (status != 0) {
        throw new IllegalStateException(command.getFirst() + " failed (exit " + status + "): " + String.join("\n", tail));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command.getFirst() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command.getFirst());
    }
  }

  private static void removeTree(Path dir) {
    if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      run(List.of("rm", "-rf", "--one-file-system", dir.toString()), null, line -> {});
    }
  }

  static String hash(String... parts) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        digest.update(part.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
