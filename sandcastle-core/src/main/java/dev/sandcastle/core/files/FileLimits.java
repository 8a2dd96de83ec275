package dev.sandcastle.core.files;

/**
 * Size and count limits for workspace file operations.
 *
 * @param maxReadBytes largest file {@code read} returns whole (line ranges of bigger text files
 *     still work, as long as the selected lines fit)
 * @param maxWriteBytes largest content {@code write}, {@code replace} and {@code upload} accept
 * @param maxGrepResults upper bound on grep matches, whatever the query asks for
 * @param maxGlobResults upper bound on glob matches, whatever the query asks for
 * @param maxArchiveBytes largest total of file bytes {@code archive} reads into one zip
 */
public record FileLimits(
    long maxReadBytes,
    long maxWriteBytes,
    int maxGrepResults,
    int maxGlobResults,
    long maxArchiveBytes) {

  private static final long MIB = 1024L * 1024L;

  public FileLimits {
    if (maxReadBytes <= 0
        || maxWriteBytes <= 0
        || maxGrepResults <= 0
        || maxGlobResults <= 0
        || maxArchiveBytes <= 0) {
      throw new IllegalArgumentException("file limits must all be positive: " + this);
    }
  }

  /** Read 10 MiB, write 50 MiB, grep 500 matches, glob 1000 matches, archive 1 GiB. */
  public static FileLimits defaults() {
    return new FileLimits(10 * MIB, 50 * MIB, 500, 1000, 1024 * MIB);
  }
}
