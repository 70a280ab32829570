package dev.switchboard.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A self-signed certificate for the name {@code localhost} only (no IP address), valid until 2126, and its
 * key: what a wss:// test upstream serves. Written to files, as a listener's {@code tls} field and the
 * simulators take paths.
 */
public record TestCertificate(Path certificate, Path key) {

  public static TestCertificate writeTo(Path dir) {
    return new TestCertificate(copy("localhost-cert.pem", dir), copy("localhost-key.pem", dir));
  }

  private static Path copy(String name, Path dir) {
    Path file = dir.resolve(name);
    try (InputStream in = TestCertificate.class.getResourceAsStream("/tls/" + name)) {
      if (in == null) {
        throw new IllegalStateException("test resource /tls/" + name + " is missing");
      }
      Files.copy(in, file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
