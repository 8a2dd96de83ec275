package dev.sandcastle.api;

/**
 * Settings of the HTTP layer.
 *
 * @param apiKey the bearer key every non-public endpoint requires
 * @param maxRequestBytes the largest JSON request body; larger ones get 413
 * @param maxUploadBytes the largest file upload
 * @param uploadCache a server-owned directory where multipart uploads are spooled
 */
public record ApiSettings(String apiKey, long maxRequestBytes, long maxUploadBytes, java.nio.file.Path uploadCache) {
  public ApiSettings {
    if (maxRequestBytes < 1024 || maxUploadBytes < 1024) {
      throw new IllegalArgumentException("request limits must be at least 1 KiB");
    }
  }
}
