package dev.sandcastle.core.files;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.ArrayList;
import java.util.List;

/** One glob search over a located directory; never follows links. */
final class GlobSearch {
  static final long MAX_ENTRIES = 200_000;

  private GlobSearch() {}

  static GlobResult run(Located directory, GlobQuery query, int limit) throws IOException {
    GlobPattern pattern = GlobPattern.compile(query.pattern());
    List<GlobPattern> exclude = query.exclude().stream().map(GlobPattern::compile).toList();
    List<GlobMatch> matches = new ArrayList<>();
    boolean[] truncated = {false};
    TreeWalk walk = new TreeWalk(SecureTree.MAX_DEPTH, MAX_ENTRIES);
    try (SecureDirectoryStream<Path> dir = directory.openDirectory()) {
      walk.walk(
          dir,
          List.of(),
          (parent, name, attributes, relative) -> {
            String path = String.join("/", relative);
            if (exclude.stream().anyMatch(g -> g.matches(path, name))) {
              return TreeWalk.Visit.SKIP;
            }
            FileType type = FileType.of(attributes);
            if (wanted(query.type(), type) && pattern.matches(path, name)) {
              matches.add(
                  new GlobMatch(
                      ViewPaths.child(directory.view(), path),
                      type,
                      attributes.size(),
                      Times.iso(attributes.lastModifiedTime())));
              if (matches.size() > limit) {
                matches.removeLast();
                truncated[0] = true;
                return TreeWalk.Visit.STOP;
              }
            }
            return TreeWalk.Visit.CONTINUE;
          });
    }
    return new GlobResult(
        query.pattern(), directory.view(), matches, truncated[0] || walk.exhausted());
  }

  private static boolean wanted(String filter, FileType type) {
    return switch (filter) {
      case "file" -> type == FileType.FILE;
      case "directory" -> type == FileType.DIRECTORY;
      default -> true;
    };
  }
}
