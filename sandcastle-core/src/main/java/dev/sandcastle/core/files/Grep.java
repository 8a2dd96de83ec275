package dev.sandcastle.core.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.sandcastle.core.errors.BadRequest;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One content search. Walks with {@link TreeWalk} (never following links), skips {@code .git}
 * and {@code node_modules} directories, files over 10 MiB and binary files (a NUL byte or
 * invalid UTF-8 in the first 8 KiB). Regular expressions run under a time budget, so a
 * catastrophic pattern ends the search (reported as truncated) instead of pinning a thread.
 */
final class Grep {
  static final long MAX_FILE_BYTES = 10L * 1024 * 1024;
  static final int MAX_LINE_CHARS = 500;
  static final long MAX_ENTRIES = 200_000;
  static final Duration TIME_BUDGET = Duration.ofSeconds(30);
  private static final Set<String> SKIPPED_DIRECTORIES = Set.of(".git", "node_modules");

  private final Pattern pattern;
  private final List<GlobPattern> include;
  private final boolean perLine;
  private final int limit;
  private final long deadline;
  private final List<GrepMatch> matches = new ArrayList<>();
  private boolean truncated;

  Grep(GrepQuery query, int limit, Duration budget) {
    this.pattern = compile(query);
    this.include = query.include().stream().map(GlobPattern::compile).toList();
    this.perLine = query.matchPerLine();
    this.limit = limit;
    this.deadline = System.nanoTime() + budget.toNanos();
  }

  static Pattern compile(GrepQuery query) {
    int flags = query.caseInsensitive() ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0;
    if (!query.regex()) {
      return Pattern.compile(Pattern.quote(query.query()), flags);
    }
    try {
      return Pattern.compile(query.query(), flags);
    } catch (PatternSyntaxException e) {
      throw new BadRequest(
          "Invalid regex "
              + Messages.quote(query.query())
              + ": "
              + e.getDescription()
              + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""),
          e);
    }
  }

  List<GrepMatch> matches() {
    return matches;
  }

  boolean truncated() {
    return truncated;
  }

  /** Searches a located file or directory; the view is used to name the files found. */
  void run(Located target) throws IOException {
    try {
      if (target.isRegularFile()) {
        searchFile(target.parent(), target.leaf(), target.view(), target.attributes().size());
        return;
      }
      TreeWalk walk = new TreeWalk(SecureTree.MAX_DEPTH, MAX_ENTRIES);
      try (SecureDirectoryStream<Path> dir = target.openDirectory()) {
        walk.walk(
            dir,
            List.of(),
            (parent, name, attributes, relative) -> {
              if (attributes.isDirectory()) {
                return SKIPPED_DIRECTORIES.contains(name) ? TreeWalk.Visit.SKIP : TreeWalk.Visit.CONTINUE;
              }
              if (!attributes.isRegularFile()) {
                return TreeWalk.Visit.SKIP; // links are never followed
              }
              String path = String.join("/", relative);
              if (!include.isEmpty() && include.stream().noneMatch(g -> g.matches(path, name))) {
                return TreeWalk.Visit.CONTINUE;
              }
              String view = ViewPaths.child(target.view(), path);
              return searchFile(parent, name, view, attributes.size())
                  ? TreeWalk.Visit.CONTINUE
                  : TreeWalk.Visit.STOP;
            });
      }
      truncated |= walk.exhausted();
    } catch (TimedOut e) {
      truncated = true;
    }
  }

  /** Returns false when the search is complete (limit reached). */
  private boolean searchFile(
      SecureDirectoryStream<Path> dir, String name, String view, long size) throws IOException {
    if (size > MAX_FILE_BYTES) {
      return true;
    }
    Optional<byte[]> content;
    try (SeekableByteChannel channel =
        dir.newByteChannel(
            SecureTree.leaf(name), Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS))) {
      content = Streams.readAtMost(channel, MAX_FILE_BYTES);
    } catch (IOException e) {
      return true; // gone or replaced (perhaps by a link) since the walk saw it: skip
    }
    if (content.isEmpty()) {
      return true;
    }
    byte[] bytes = content.get();
    int head = Math.min(bytes.length, Sniff.HEAD_BYTES);
    if (Sniff.isBinary(bytes, head, head == bytes.length)) {
      return true;
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    int lineNumber = 0;
    int position = 0;
    while (position < text.length()) {
      int newline = text.indexOf('\n', position);
      int end = newline < 0 ? text.length() : newline;
      lineNumber++;
      int contentEnd = end > position && text.charAt(end - 1) == '\r' ? end - 1 : end;
      if (pattern.matcher(new TimedChars(text, position, contentEnd)).find()) {
        String line = text.substring(position, Math.min(contentEnd, position + MAX_LINE_CHARS));
        matches.add(new GrepMatch(view, lineNumber, line));
        if (matches.size() > limit) {
          matches.removeLast();
          truncated = true;
          return false;
        }
        if (!perLine) {
          return true;
        }
      }
      position = end + 1;
    }
    return true;
  }

  private static final class TimedOut extends RuntimeException {
    TimedOut() {
      super("search time budget exhausted", null, false, false);
    }
  }

  /** A view of part of a string that checks the search deadline as a regex reads it. */
  private final class TimedChars implements CharSequence {
    private final String text;
    private final int start;
    private final int end;
    private int reads;

    TimedChars(String text, int start, int end) {
      this.text = text;
      this.start = start;
      this.end = end;
    }

    @Override
    public char charAt(int index) {
      if ((++reads & 0xFFF) == 0 && System.nanoTime() - deadline > 0) {
        throw new TimedOut();
      }
      return text.charAt(start + index);
    }

    @Override
    public int length() {
      return end - start;
    }

    @Override
    public CharSequence subSequence(int from, int to) {
      return new TimedChars(text, start + from, start + to);
    }

    @Override
    public String toString() {
      return text.substring(start, end);
    }
  }
}
