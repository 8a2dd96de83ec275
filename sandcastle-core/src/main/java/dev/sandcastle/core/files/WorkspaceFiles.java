package dev.sandcastle.core.files;

import static java.util.Objects.requireNonNull;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.PathOutsideWorkspace;
import dev.sandcastle.core.errors.PayloadTooLarge;
import dev.sandcastle.core.errors.UnsupportedMedia;
import dev.sandcastle.core.sandbox.SandboxView;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * File operations on one workspace, confined to it even while sandboxed code changes the tree
 * underneath (swapping directories for symbolic links and the like).
 *
 * <p>Clients name files by view path, the path inside the sandbox, where the workspace root
 * {@code hostRoot} appears as {@code home} (e.g. {@code /home/user}). Relative paths start at a
 * working directory {@code cwd} (a view path; empty means home); {@code ~} means home. Paths are
 * first normalized lexically ({@link #resolve}), then walked one component at a time through
 * directories held open, never letting the kernel follow a link (see {@link SecureTree}). Links
 * inside the workspace are followed by that walk when they stay under home; anything that would
 * leave it is {@link PathOutsideWorkspace}. Results name the view path the client asked for.
 *
 * <p><b>Whose rights.</b> With an {@link Owner} and a server running as root, every operation
 * runs with the owner's rights, not the server's: on a few threads of its own whose file-system
 * uid, gid and groups are the owner's (its file-system identity). The kernel then checks each access as
 * it would for the owner (a file the owner may not read cannot be read here either: {@link
 * BadRequest} "Permission denied"), and what is created belongs to the owner without a chown.
 * Without an owner, operations run on the calling thread with the server's rights, and a replaced
 * file keeps its previous owner. A server that is not root can only name itself as the owner.
 *
 * <p>Errors are the unchecked {@link dev.sandcastle.core.errors.SandcastleException} kinds; their
 * messages show view paths only, never host paths. Thread-safe: each call opens what it needs
 * and closes it before returning (except the stream of {@link #openRaw}, which the caller
 * closes and may read on any thread).
 */
public final class WorkspaceFiles implements AutoCloseable {
  /** Threads acting as the owner, per workspace: enough that a slow upload or download does not hold up the rest. */
  private static final int OWNER_THREADS = 8;

  private final ViewPaths paths;
  private final Rights rights;
  private final SecureTree tree;
  private final FileLimits limits;
  private final Optional<OutsideHome> outside;

  /**
   * @param hostRoot the workspace directory on the host; it and its ancestors must not be
   *     writable by the sandbox. With an owner and a root server, the owner must be able to reach
   *     and change it (the workspace's home belongs to the owner).
   * @param home how the sandbox sees hostRoot, an absolute normalized path such as /home/user
   * @param owner whose rights operations run with when the server is root (else who gets what
   *     the server creates), or {@link Owner#NONE} for the server's own rights
   * @throws IllegalArgumentException if hostRoot is not a directory or home is malformed
   * @throws IllegalStateException if operations cannot run as {@code owner} (the kernel refused
   *     the identity, no native access, an unsupported platform), if the owner cannot open
   *     hostRoot, or if a server that is not root names another account as the owner
   */
  public WorkspaceFiles(Path hostRoot, String home, Owner owner, FileLimits limits) {
    this(hostRoot, home, owner, limits, Optional.empty());
  }

  /**
   * Files confined to the home for changes, and readable anywhere the sandbox's processes can see,
   * through its mount table: listing, reading, viewing and showing a path outside the home works
   * as it would inside the sandbox, with the owner's rights; changing one is {@link Forbidden}.
   *
   * @param sandbox the file system as the workspace's processes see it; empty: paths outside the
   *     home are {@link PathOutsideWorkspace} for every operation
   */
  public WorkspaceFiles(Path hostRoot, String home, Owner owner, FileLimits limits, Optional<SandboxView> sandbox) {
    requireNonNull(hostRoot, "hostRoot");
    requireNonNull(home, "home");
    requireNonNull(owner, "owner");
    this.limits = requireNonNull(limits, "limits");
    Path root;
    try {
      root = hostRoot.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("The workspace root does not exist: " + hostRoot, e);
    }
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("The workspace root is not a directory: " + hostRoot);
    }
    this.paths = new ViewPaths(home);
    this.outside = sandbox.map(view -> new OutsideHome(view, paths));
    if (owner.isNone() || ThreadCredentials.effectiveUid() != 0) {
      this.rights = Rights.SERVER;
      this.tree = new SecureTree(root, paths, Ownership.of(owner));
    } else {
      this.rights = new AsOwner(owner, OWNER_THREADS);
      this.tree = openAsOwner(root, owner);
    }
  }

  private SecureTree openAsOwner(Path root, Owner owner) {
    try {
      return rights.call(() -> new SecureTree(root, paths, Ownership.AS_CREATED));
    } catch (RuntimeException e) {
      rights.close();
      throw new IllegalStateException(
          "The workspace owner " + owner.uid() + ":" + owner.gid() + " cannot open the workspace directory " + root, e);
    }
  }

  /**
   * Ends the threads that act as the owner, letting running operations finish for a few seconds;
   * later operations fail with {@link dev.sandcastle.core.errors.Unavailable}. Nothing to do
   * without an owner.
   */
  @Override
  public void close() {
    rights.close();
  }

  /** The view path of the workspace root, e.g. /home/user. */
  public String home() {
    return paths.home();
  }

  /**
   * Normalizes a client path lexically to a view path inside home, without touching the file
   * system: relative to {@code cwd} (empty means home), absolute, or {@code ~}/{@code ~/x}.
   *
   * @throws BadRequest if the path is empty, contains NUL or is over 4096 characters
   * @throws PathOutsideWorkspace if it lies outside home
   */
  public String resolve(String path, String cwd) {
    return paths.resolve(requireNonNull(path, "path"), requireNonNull(cwd, "cwd"));
  }

  /** Lists a directory: directories first, then by name; links are shown, not followed. */
  public DirectoryListing list(String directory, String cwd) {
    return rights.call(() -> {
      String view = anywhere(directory, cwd);
      if (!paths.isInside(view)) {
        OutsideHome.Found found = outside.orElseThrow().find(view, true);
        if (!(found instanceof OutsideHome.Found.InHome home)) {
          return new DirectoryListing(view, outside.orElseThrow().list(found, view));
        }
        view = home.view();
      }
      try (Located target = tree.locate(view, true, false)) {
        requireDirectory(target);
        List<FileEntry> entries = new ArrayList<>();
        try (SecureDirectoryStream<Path> dir = target.openDirectory()) {
          for (String name : SecureTree.names(dir)) {
            Optional<BasicFileAttributes> attributes = SecureTree.lstat(dir, name);
            attributes.ifPresent(
                a ->
                    entries.add(
                        new FileEntry(
                            name, FileType.of(a), a.size(), Times.iso(a.lastModifiedTime()))));
          }
        }
        entries.sort(
            Comparator.comparing((FileEntry e) -> e.type() != FileType.DIRECTORY)
                .thenComparing(FileEntry::name));
        return new DirectoryListing(view, entries);
      } catch (IOException e) {
        throw IoErrors.translate(e, view);
      }
    });
  }

  /**
   * Reads a text file, or some of its lines, or an image.
   *
   * <p>Images (PNG, JPEG, GIF, WebP by signature; BMP, ICO, SVG by signature and extension) come
   * back as {@link BinaryContent}. Other files with a NUL byte or invalid UTF-8 in their first 8
   * KiB are {@link UnsupportedMedia}. Text is decoded as UTF-8 (later invalid bytes become
   * U+FFFD). Line numbers are 1-based and inclusive; a range past the end is cut short.
   *
   * @throws PayloadTooLarge if the file (or image) is over {@code maxReadBytes}; a text file that
   *     big can still be read in line ranges, as long as the selected lines fit
   * @throws BadRequest for a directory or a special file
   * @throws NotFound if nothing is there
   */
  public FileContent read(
      String path, String cwd, OptionalInt startLine, OptionalInt endLine) {
    return rights.call(() -> {
      requireNonNull(startLine, "startLine");
      requireNonNull(endLine, "endLine");
      LineRange.check(startLine, endLine);
      try (Readable file = openReadable(path, cwd)) {
        String view = file.view();
        SeekableByteChannel channel = file.channel();
        long size = channel.size();
        byte[] head = new byte[Sniff.HEAD_BYTES];
        int headLength = Streams.readFully(channel, head);
        Optional<String> image = Sniff.image(head, headLength, file.name());
        if (image.isPresent()) {
          if (size > limits.maxReadBytes()) {
            throw new PayloadTooLarge(
                "The image " + view + " is " + size + " bytes, over the "
                    + limits.maxReadBytes() + "-byte read limit");
          }
          byte[] rest =
              Streams.readAtMost(channel, limits.maxReadBytes() - headLength)
                  .orElseThrow(() -> new PayloadTooLarge("The image " + view + " is too large"));
          byte[] all = new byte[headLength + rest.length];
          System.arraycopy(head, 0, all, 0, headLength);
          System.arraycopy(rest, 0, all, headLength, rest.length);
          return new BinaryContent(view, image.get(), all);
        }
        if (Sniff.isBinary(head, headLength, headLength >= size)) {
          throw new UnsupportedMedia(
              view + " is a binary file (" + Sniff.mimeType(file.name()) + ", " + size
                  + " bytes) and cannot be read as text");
        }
        boolean ranged = startLine.isPresent() || endLine.isPresent();
        if (!ranged && size > limits.maxReadBytes()) {
          throw new PayloadTooLarge(
              view + " is " + size + " bytes, over the " + limits.maxReadBytes()
                  + "-byte read limit; read it in parts with start_line and end_line");
        }
        Reader reader =
            new InputStreamReader(
                new SequenceInputStream(
                    new ByteArrayInputStream(head, 0, headLength), Channels.newInputStream(channel)),
                StandardCharsets.UTF_8);
        Text.Slice slice =
            Text.slice(
                reader,
                startLine.orElse(1),
                endLine.isPresent() ? endLine.getAsInt() : Long.MAX_VALUE,
                limits.maxReadBytes(),
                view);
        return new TextContent(view, slice.totalLines(), slice.content());
      } catch (IOException e) {
        throw IoErrors.translate(e, path);
      }
    });
  }

  /**
   * Opens a regular file for streaming as-is (view, serve, download), with a MIME type from its
   * name's extension. No size limit: the caller streams it. The caller must close the result.
   */
  public RawFile openRaw(String path, String cwd) {
    return rights.call(() -> {
      Readable file = openReadable(path, cwd);
      try {
        return new RawFile(file.view(), Sniff.mimeType(lastName(file.view())), file.channel().size(),
            Channels.newInputStream(file.channel()));
      } catch (IOException e) {
        file.close();
        throw IoErrors.translate(e, file.view());
      } catch (RuntimeException e) {
        file.close();
        throw e;
      } finally {
        file.closeWalk();
      }
    });
  }

  /** Whether a regular file exists at the path (so a client can show it). */
  public Display display(String path, String cwd) {
    return rights.call(() -> {
      String view = anywhere(path, cwd);
      if (!paths.isInside(view)) {
        OutsideHome.Found found;
        try {
          found = outside.orElseThrow().find(view, true);
        } catch (NotFound e) {
          return new Display(view, false);
        }
        if (!(found instanceof OutsideHome.Found.InHome home)) {
          return new Display(view, found instanceof OutsideHome.Found.Host host && host.attributes().isRegularFile());
        }
        view = home.view();
      }
      try (Located target = tree.locate(view, true, false)) {
        return new Display(view, target.isRegularFile());
      } catch (NotFound e) {
        return new Display(view, false);
      }
    });
  }

  /**
   * Writes a text file (UTF-8), creating missing parent directories, replacing any old file
   * atomically (a temporary file in the same directory, renamed over it). A link to a file inside
   * the workspace is written through.
   *
   * @throws PayloadTooLarge over {@code maxWriteBytes}
   * @throws Conflict if a directory is there, or a parent is a file
   */
  public Written write(String path, String cwd, String content) {
    return rights.call(() -> {
      requireNonNull(content, "content");
      String view = writable(path, cwd);
      byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
      if (bytes.length > limits.maxWriteBytes()) {
        throw new PayloadTooLarge(
            "The content for " + view + " is " + bytes.length + " bytes, over the "
                + limits.maxWriteBytes() + "-byte write limit");
      }
      return writeContent(view, out -> Streams.writeAll(out, bytes));
    });
  }

  /**
   * Applies exact-string replacements in order and writes the result atomically.
   *
   * @throws BadRequest naming the target if one is missing, or saying how often it was found if
   *     it is ambiguous and {@code allowMultiple} is false; nothing is written then
   * @throws UnsupportedMedia if the file is not UTF-8 text
   */
  public Written replace(String path, String cwd, List<Replacement> replacements) {
    return rights.call(() -> {
      List<Replacement> edits = List.copyOf(replacements);
      String view = writable(path, cwd);
      try (Located target = tree.locate(view, true, false)) {
        String original;
        try (SeekableByteChannel channel = openRegularFile(target)) {
          byte[] bytes =
              Streams.readAtMost(channel, limits.maxWriteBytes())
                  .orElseThrow(
                      () ->
                          new PayloadTooLarge(
                              view + " is over the " + limits.maxWriteBytes()
                                  + "-byte write limit and cannot be edited"));
          original = decodeStrictly(bytes, view);
        }
        byte[] updated = Replacer.apply(original, edits, view).getBytes(StandardCharsets.UTF_8);
        if (updated.length > limits.maxWriteBytes()) {
          throw new PayloadTooLarge(
              "After the replacements " + view + " would be over the " + limits.maxWriteBytes()
                  + "-byte write limit");
        }
        return new Written(view, tree.replaceFile(target, out -> Streams.writeAll(out, updated)));
      } catch (IOException e) {
        throw IoErrors.translate(e, view);
      }
    });
  }

  /**
   * Searches file contents. {@code matchPerLine == false} reports only the first matching line
   * of each file, i.e. one match per matching file. See {@link Grep} for what is skipped.
   *
   * @throws BadRequest for an invalid regex (with the regex error) or include glob
   */
  public GrepResult grep(GrepQuery query) {
    return rights.call(() -> {
      requireNonNull(query, "query");
      String view = resolve(query.path(), query.cwd());
      Grep grep =
          new Grep(query, Math.min(query.maxResults(), limits.maxGrepResults()), Grep.TIME_BUDGET);
      try (Located target = tree.locate(view, true, false)) {
        if (!target.exists()) {
          throw new NotFound("No such file or directory: " + view);
        }
        if (!target.isRegularFile() && !target.isDirectory()) {
          throw new BadRequest("Not a regular file or directory: " + view);
        }
        grep.run(target);
        return new GrepResult(query.query(), view, grep.matches(), grep.truncated());
      } catch (IOException e) {
        throw IoErrors.translate(e, view);
      }
    });
  }

  /** Finds entries below a directory whose relative path matches a glob; see {@link GlobQuery}. */
  public GlobResult glob(GlobQuery query) {
    return rights.call(() -> {
      requireNonNull(query, "query");
      String view = resolve(query.path(), query.cwd());
      try (Located target = tree.locate(view, true, false)) {
        requireDirectory(target);
        return GlobSearch.run(
            target, query, Math.min(query.maxResults(), limits.maxGlobResults()));
      } catch (IOException e) {
        throw IoErrors.translate(e, view);
      }
    });
  }

  /**
   * Creates a directory and any missing parents, all owned by the workspace owner.
   *
   * @return the directory's view path; an existing directory is fine
   * @throws Conflict if a file (or other non-directory) is there or in the way
   */
  public String mkdir(String path, String cwd) {
    return rights.call(() -> {
      String view = writable(path, cwd);
      try (Located target = tree.locate(view, true, true)) {
        if (target.isRoot() || target.isDirectory()) {
          return view;
        }
        if (target.exists()) {
          throw new Conflict("A file exists at " + view);
        }
        tree.createDirectory(target.chain(), target.leaf());
        Optional<BasicFileAttributes> made = SecureTree.lstat(target.parent(), target.leaf());
        if (made.isEmpty() || !made.get().isDirectory()) {
          throw new Conflict(view + " changed while it was being created; try again");
        }
        return view;
      } catch (IOException e) {
        throw IoErrors.translate(e, view);
      }
    });
  }

  /**
   * Deletes a file, a link (not its target) or a directory with everything in it. The walk down
   * the tree is descriptor-relative and never follows a link, so nothing outside can be deleted.
   *
   * @throws BadRequest for home itself
   */
  public Deleted delete(String path, String cwd) {
    return rights.call(() -> {
      String view = writable(path, cwd);
      if (paths.components(view).isEmpty()) {
        throw new BadRequest("The home directory cannot be deleted");
      }
      try (Located target = tree.locate(view, false, false)) {
        if (target.isRoot()) {
          throw new BadRequest("The home directory cannot be deleted");
        }
        FileType type = target.type();
        if (type == FileType.DIRECTORY) {
          tree.deleteTree(target.parent(), target.leaf(), view, 0);
        } else {
          target.parent().deleteFile(SecureTree.leaf(target.leaf()));
        }
        return new Deleted(view, type);
      } catch (IOException e) {
        throw IoErrors.translate(e, view);
      }
    });
  }

  /**
   * Renames within the workspace (renameat between held directories). A link is moved as a link.
   *
   * @throws NotFound if the source is missing
   * @throws Conflict if the destination exists
   * @throws BadRequest if the destination is inside the source, is home, or its parent directory
   *     does not exist
   */
  public Moved move(String source, String destination, String cwd) {
    return rights.call(() -> {
      String from = writable(source, cwd);
      String to = writable(destination, cwd);
      if (paths.components(from).isEmpty()) {
        throw new BadRequest("The home directory cannot be moved");
      }
      if (to.equals(from) || to.startsWith(from + "/")) {
        throw new BadRequest("Cannot move " + from + " into itself (" + to + ")");
      }
      if (paths.components(to).isEmpty()) {
        throw new Conflict("Destination already exists: " + to);
      }
      try (Located src = tree.locate(from, false, false);
          Located dst = locateDestination(to)) {
        if (!src.exists() || src.isRoot()) {
          throw new NotFound("No such file or directory: " + from);
        }
        if (dst.exists() || dst.isRoot()) {
          throw new Conflict("Destination already exists: " + to);
        }
        // The lexical check above misses links; compare the real paths the walks found.
        List<String> realSource = src.realComponents();
        List<String> realDestination = dst.realComponents();
        if (realDestination.size() >= realSource.size()
            && realDestination.subList(0, realSource.size()).equals(realSource)) {
          throw new BadRequest("Cannot move " + from + " into itself (" + to + ")");
        }
        src.parent().move(SecureTree.leaf(src.leaf()), dst.parent(), SecureTree.leaf(dst.leaf()));
        return new Moved(from, to);
      } catch (IOException e) {
        throw IoErrors.translate(e, from);
      }
    });
  }

  private Located locateDestination(String to) {
    try {
      return tree.locate(to, false, false);
    } catch (NotFound e) {
      throw new BadRequest("The destination's parent directory does not exist: " + to, e);
    }
  }

  /**
   * Stores an uploaded file in a directory (created if missing). Only the last segment of {@code
   * fileName} is used (split on '/' and '\'), without control characters, so "../../x" lands as
   * "x" in the directory. The content is streamed to a temporary file, then renamed into place.
   *
   * @throws BadRequest if no usable name remains (empty, ".", "..")
   * @throws PayloadTooLarge as soon as more than {@code maxWriteBytes} arrive (reading stops, the
   *     temporary file is deleted)
   */
  public Written upload(String directory, String cwd, String fileName, InputStream content) {
    return rights.call(() -> {
      requireNonNull(fileName, "fileName");
      requireNonNull(content, "content");
      String directoryView = writable(directory, cwd);
      String view = ViewPaths.child(directoryView, sanitizeFileName(fileName));
      return writeContent(
          view, out -> Streams.copyLimited(content, out, limits.maxWriteBytes(), view));
    });
  }

  /**
   * Writes a zip of the given files and directories (recursively) to {@code zip}, which is left
   * open. Entry names are paths relative to home; links inside directories are skipped.
   *
   * @throws PayloadTooLarge if the files add up to more than {@code maxArchiveBytes}; normally
   *     before anything is written, but if files grow meanwhile, after part of the zip went out
   */
  public void archive(List<String> paths, String cwd, OutputStream zip) {
    rights.call(() -> {
      requireNonNull(zip, "zip");
      if (paths.isEmpty()) {
        throw new BadRequest("Nothing to archive: no paths given");
      }
      List<String> views = paths.stream().map(p -> resolve(p, cwd)).toList();
      new Archiver(tree, limits.maxArchiveBytes()).write(views, zip);
      return null;
    });
  }

  /**
   * The view path of an existing directory, for setting a session's working directory.
   *
   * @throws NotFound if nothing is there
   * @throws BadRequest if it is not a directory
   */
  public String directory(String path, String cwd) {
    return rights.call(() -> {
      String requested = anywhere(path, cwd);
      String view = requested;
      if (!paths.isInside(view)) {
        OutsideHome.Found found = outside.orElseThrow().find(view, true);
        switch (found) {
          case OutsideHome.Found.InHome home -> view = home.view();
          case OutsideHome.Found.Made made -> {
            return requested;
          }
          case OutsideHome.Found.Host host when host.attributes().isDirectory() -> {
            return requested;
          }
          default -> throw new BadRequest("Not a directory: " + requested);
        }
      }
      try (Located target = tree.locate(view, true, false)) {
        requireDirectory(target);
        return view;
      }
    });
  }

  /** A client path as a normalized view path: anywhere the sandbox can see, or only in the home without a sandbox view. */
  private String anywhere(String path, String cwd) {
    requireNonNull(path, "path");
    requireNonNull(cwd, "cwd");
    return outside.isPresent() ? paths.absolute(path, cwd) : paths.resolve(path, cwd);
  }

  /** A client path that is to be changed: in the home, else {@link Forbidden} (read-only) or {@link PathOutsideWorkspace}. */
  private String writable(String path, String cwd) {
    String view = anywhere(path, cwd);
    if (!paths.isInside(view)) {
      throw outside.orElseThrow().readOnly(view);
    }
    return view;
  }

  /**
   * A regular file opened for reading, found anywhere the workspace can read; the walk that found
   * it in the home stays held until {@link #closeWalk}, the channel until {@link #close}.
   */
  private record Readable(String view, String name, SeekableByteChannel channel, Optional<Located> walk) implements AutoCloseable {
    void closeWalk() {
      walk.ifPresent(Located::close);
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing was written: nothing to lose
      } finally {
        closeWalk();
      }
    }
  }

  private Readable openReadable(String path, String cwd) {
    String view = anywhere(path, cwd);
    if (!paths.isInside(view)) {
      OutsideHome.Found found = outside.orElseThrow().find(view, true);
      if (!(found instanceof OutsideHome.Found.InHome home)) {
        return new Readable(view, lastName(found instanceof OutsideHome.Found.Host host ? host.view() : view),
            OutsideHome.open(found, view), Optional.empty());
      }
      view = home.view();
    }
    Located target = tree.locate(view, true, false);
    try {
      return new Readable(view, target.leaf(), openRegularFile(target), Optional.of(target));
    } catch (IOException e) {
      target.close();
      throw IoErrors.translate(e, view);
    } catch (RuntimeException e) {
      target.close();
      throw e;
    }
  }

  private Written writeContent(String view, SecureTree.Content content) {
    if (paths.components(view).isEmpty()) {
      throw new Conflict("A directory exists at " + view);
    }
    try (Located target = tree.locate(view, true, true)) {
      return new Written(view, tree.replaceFile(target, content));
    } catch (IOException e) {
      throw IoErrors.translate(e, view);
    }
  }

  private static void requireDirectory(Located target) {
    if (!target.exists()) {
      throw new NotFound("No such directory: " + target.view());
    }
    if (!target.isDirectory()) {
      throw new BadRequest("Not a directory: " + target.view());
    }
  }

  private static SeekableByteChannel openRegularFile(Located target) throws IOException {
    if (!target.exists()) {
      throw new NotFound("No such file: " + target.view());
    }
    if (target.isDirectory()) {
      throw new BadRequest("Is a directory: " + target.view() + " (list it instead)");
    }
    if (!target.isRegularFile()) {
      throw new BadRequest("Not a regular file: " + target.view());
    }
    return target.openRead();
  }

  private static String decodeStrictly(byte[] bytes, String view) {
    int head = Math.min(bytes.length, Sniff.HEAD_BYTES);
    if (Sniff.isBinary(bytes, head, head == bytes.length)) {
      throw new UnsupportedMedia(view + " is a binary file and cannot be edited as text");
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new UnsupportedMedia(view + " is not valid UTF-8 text and cannot be edited", e);
    }
  }

  static String sanitizeFileName(String fileName) {
    int cut = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
    StringBuilder out = new StringBuilder();
    fileName
        .substring(cut + 1)
        .codePoints()
        .filter(c -> !Character.isISOControl(c))
        .forEach(out::appendCodePoint);
    String name = out.toString().strip();
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new BadRequest("Invalid file name for an upload: " + Messages.quote(fileName));
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new BadRequest("File name too long: " + Messages.quote(name));
    }
    return name;
  }

  private static String lastName(String view) {
    return view.substring(view.lastIndexOf('/') + 1);
  }
}
