package dev.sandcastle.core.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.PayloadTooLarge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a zip of files and directories. Entry names are real paths relative to home. Links and
 * special files met inside directories are left out, never followed. A first pass adds up the
 * sizes so an oversized request fails before any byte is written; the second pass enforces the
 * limit again in case files grew meanwhile (then the zip is cut short and the caller must abort
 * the response).
 */
final class Archiver {
  static final long MAX_ENTRIES = 500_000;

  private final SecureTree tree;
  private final long maxBytes;

  Archiver(SecureTree tree, long maxBytes) {
    this.tree = tree;
    this.maxBytes = maxBytes;
  }

  private interface Sink {
    void directory(String entry, BasicFileAttributes attributes) throws IOException;

    void file(SecureDirectoryStream<Path> dir, String name, String entry, BasicFileAttributes attributes)
        throws IOException;
  }

  void write(List<String> views, OutputStream out) {
    long[] total = {0};
    Sink measure =
        new Sink() {
          @Override
          public void directory(String entry, BasicFileAttributes attributes) {}

          @Override
          public void file(
              SecureDirectoryStream<Path> dir, String name, String entry, BasicFileAttributes a) {
            total[0] += a.size();
            if (total[0] > maxBytes) {
              throw tooLarge();
            }
          }
        };
    for (String view : views) {
      visit(view, measure);
    }

    ZipOutputStream zip = new ZipOutputStream(out);
    Set<String> seen = new HashSet<>();
    long[] written = {0};
    Sink writer =
        new Sink() {
          @Override
          public void directory(String entry, BasicFileAttributes attributes) throws IOException {
            if (seen.add(entry)) {
              ZipEntry zipEntry = new ZipEntry(entry);
              zipEntry.setLastModifiedTime(attributes.lastModifiedTime());
              zip.putNextEntry(zipEntry);
              zip.closeEntry();
            }
          }

          @Override
          public void file(
              SecureDirectoryStream<Path> dir, String name, String entry, BasicFileAttributes a)
              throws IOException {
            if (!seen.add(entry)) {
              return;
            }
            SeekableByteChannel channel;
            try {
              channel =
                  dir.newByteChannel(
                      SecureTree.leaf(name), Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS));
            } catch (IOException e) {
              return; // gone or replaced (perhaps by a link) since the walk saw it
            }
            try (InputStream in = Channels.newInputStream(channel)) {
              ZipEntry zipEntry = new ZipEntry(entry);
              zipEntry.setLastModifiedTime(a.lastModifiedTime());
              zip.putNextEntry(zipEntry);
              byte[] buffer = new byte[64 * 1024];
              int n;
              while ((n = in.read(buffer)) >= 0) {
                written[0] += n;
                if (written[0] > maxBytes) {
                  throw tooLarge();
                }
                zip.write(buffer, 0, n);
              }
              zip.closeEntry();
            }
          }
        };
    for (String view : views) {
      visit(view, writer);
    }
    try {
      zip.finish(); // not close(): the caller owns the output stream
      zip.flush();
    } catch (IOException e) {
      throw IoErrors.translate(e, "the archive");
    }
  }

  private PayloadTooLarge tooLarge() {
    return new PayloadTooLarge("The files to archive add up to more than " + maxBytes + " bytes");
  }

  private void visit(String view, Sink sink) {
    try (Located target = tree.locate(view, true, false)) {
      BasicFileAttributes attributes = target.attributes();
      String base = String.join("/", target.realComponents());
      if (attributes.isRegularFile()) {
        sink.file(target.parent(), target.leaf(), base, attributes);
        return;
      }
      if (!attributes.isDirectory()) {
        throw new BadRequest("Not a regular file or directory: " + view);
      }
      String prefix = base.isEmpty() ? "" : base + "/";
      if (!base.isEmpty()) {
        sink.directory(prefix, attributes);
      }
      TreeWalk walk = new TreeWalk(SecureTree.MAX_DEPTH, MAX_ENTRIES);
      try (SecureDirectoryStream<Path> dir = target.openDirectory()) {
        walk.walk(
            dir,
            List.of(),
            (parent, name, a, relative) -> {
              String entry = prefix + String.join("/", relative);
              if (a.isDirectory()) {
                sink.directory(entry + "/", a);
                return TreeWalk.Visit.CONTINUE;
              }
              if (a.isRegularFile()) {
                sink.file(parent, name, entry, a);
              }
              return TreeWalk.Visit.SKIP; // links and special files are left out
            });
      }
      if (walk.exhausted()) {
        throw new PayloadTooLarge("Too many files or directory levels to archive in " + view);
      }
    } catch (IOException e) {
      throw IoErrors.translate(e, view);
    }
  }
}
