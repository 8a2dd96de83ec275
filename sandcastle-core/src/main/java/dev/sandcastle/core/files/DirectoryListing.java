package dev.sandcastle.core.files;

import java.util.List;
import java.util.Objects;

/**
 * The entries of one directory, directories first, then by name.
 *
 * @param dir the directory's view path
 */
public record DirectoryListing(String dir, List<FileEntry> entries) {
  public DirectoryListing {
    Objects.requireNonNull(dir, "dir");
    entries = List.copyOf(entries);
  }
}
