package dev.sandcastle.core.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a bubblewrap sandbox sees of the host beyond {@code /usr}: an allow-list of {@code /etc}
 * (never the whole directory, where any world-readable secret of the host would be readable), the
 * account and name-service files the server writes itself, and {@code /proc} with the entries
 * Docker masks (and a few more) hidden.
 */
final class HostView {
  /** Files of the sandbox's {@code /etc} that the server writes into the runtime directory. */
  static final List<String> GENERATED_ETC = List.of("passwd", "group", "hosts", "nsswitch.conf", "hostname");

  /** The size of the sandbox's {@code /run}: it holds only mount points and what programs put there. */
  static final long RUN_BYTES = 16L << 20;

  /**
   * What programs and the data stack read from {@code /etc}: the dynamic linker's cache, TLS
   * roots, Debian's alternatives (many commands in {@code /usr/bin} are links through them), time
   * zone, OS release, the login shell's profile, and the configuration files of tools a user
   * expects (Python, matplotlib, fontconfig, vim, git, readline, libmagic, MIME types). Package
   * managers' configuration (pip.conf, npmrc) and {@code /etc/environment} are left out: they may
   * hold an index's credentials or a proxy's password; a policy can add them.
   */
  private static final List<String> ETC = List.of(
      "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl", "ca-certificates", "ca-certificates.conf", "pki", "crypto-policies",
      "alternatives", "localtime", "timezone", "os-release", "debian_version", "lsb-release", "locale.alias", "locale.conf",
      "services", "protocols", "networks", "host.conf", "gai.conf", "shells",
      "profile", "profile.d", "bash.bashrc", "bash_completion", "bash_completion.d", "inputrc", "terminfo", "skel",
      "matplotlibrc", "fonts", "vim", "vimrc", "gitconfig", "mime.types", "mailcap", "magic", "magic.mime",
      "perl", "R", "ImageMagick-6", "ImageMagick-7", "papersize", "xdg");
  /** Python keeps per-version configuration ({@code sitecustomize.py}) under {@code /etc/python3.N}. */
  private static final Pattern PYTHON = Pattern.compile("python3(\\.[0-9]+)?");

  /**
   * Entries of {@code /proc} that tell about the host rather than the workspace: Docker's masked
   * paths, the kernel's command line and build configuration, and the key-ring counts ({@code
   * /proc/tty} stays: {@code ps} names terminals with it), and the block devices with their I/O
   * counters (every tenant's home image is a loop device).
   */
  private static final List<String> PROC_FILES = List.of("kcore", "keys", "key-users", "timer_list", "timer_stats",
      "sched_debug", "latency_stats", "interrupts", "cmdline", "config.gz", "sysrq-trigger", "kallsyms", "kpagecount",
      "kpageflags", "kpagecgroup", "vmallocinfo", "iomem", "ioports", "partitions", "diskstats");
  private static final List<String> PROC_DIRS = List.of("acpi", "asound", "scsi", "bus", "irq", "driver", "fs");

  private static final List<String> ETC_ARGS = etcArgs();
  private static final List<String> PROC_ARGS = procArgs();

  private HostView() {}

  /** bwrap arguments that build {@code /etc}; {@code resolv.conf} only for workspaces with network. */
  static List<String> etc(boolean network) {
    if (!network) {
      return ETC_ARGS;
    }
    List<String> args = new ArrayList<>(ETC_ARGS);
    // Bound as the file it leads to: a link into the host's /run would lead nowhere in the sandbox.
    args.addAll(List.of("--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"));
    return args;
  }

  /** bwrap arguments, after {@code --proc /proc}, that hide host entries of {@code /proc}. */
  static List<String> procMasks() {
    return PROC_ARGS;
  }

  /** The generated files that do not depend on the workspace (its accounts are written by {@link Sandbox}). */
  static Map<String, String> fixedEtc() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tsandcastle\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    files.put("nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
        + "protocols: files\nservices: files\nethers: files\nrpc: files\n");
    files.put("hostname", "sandcastle\n");
    return files;
  }

  private static List<String> etcArgs() {
    List<String> names = new ArrayList<>(ETC);
    try (Stream<Path> entries = Files.list(Path.of("/etc"))) {
      entries.map(p -> p.getFileName().toString()).filter(n -> PYTHON.matcher(n).matches()).sorted().forEach(names::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list /etc", e);
    }
    List<String> args = new ArrayList<>();
    for (String name : names) {
      Path path = Path.of("/etc", name);
      if (Files.isSymbolicLink(path)) {
        // Kept a link when it leads into /usr (localtime into the zoneinfo: programs read the zone's
        // name from the link); otherwise bound as the file it leads to.
        try {
          Path target = Files.readSymbolicLink(path);
          if (path.resolveSibling(target).normalize().startsWith("/usr/")) {
            args.addAll(List.of("--symlink", target.toString(), path.toString()));
            continue;
          }
        } catch (IOException e) {
          continue;
        }
      }
      if (Files.exists(path)) {
        args.addAll(List.of("--ro-bind", path.toString(), path.toString()));
      }
    }
    args.addAll(List.of("--symlink", "../proc/self/mounts", "/etc/mtab"));
    return List.copyOf(args);
  }

  private static List<String> procArgs() {
    List<String> args = new ArrayList<>();
    for (String name : PROC_FILES) {
      Path path = Path.of("/proc", name);
      if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--ro-bind", "/dev/null", path.toString()));
      }
    }
    for (String name : PROC_DIRS) {
      Path path = Path.of("/proc", name);
      if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--size", "4096", "--tmpfs", path.toString(), "--remount-ro", path.toString()));
      }
    }
    return List.copyOf(args);
  }
}
