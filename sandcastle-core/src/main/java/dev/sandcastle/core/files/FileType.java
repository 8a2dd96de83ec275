package dev.sandcastle.core.files;

import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.attribute.BasicFileAttributes;

/** What a directory entry is, as seen without following symbolic links. */
public enum FileType {
  FILE("file"),
  DIRECTORY("directory"),
  SYMLINK("symlink"),
  OTHER("other");

  private final String wireName;

  FileType(String wireName) {
    this.wireName = wireName;
  }

  /** The lower-case name used on the wire: "file", "directory", "symlink" or "other". */
  @JsonValue
  public String wireName() {
    return wireName;
  }

  @Override
  public String toString() {
    return wireName;
  }

  static FileType of(BasicFileAttributes attributes) {
    if (attributes.isSymbolicLink()) {
      return SYMLINK;
    }
    if (attributes.isDirectory()) {
      return DIRECTORY;
    }
    return attributes.isRegularFile() ? FILE : OTHER;
  }
}
