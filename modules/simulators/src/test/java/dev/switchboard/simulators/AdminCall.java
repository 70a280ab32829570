package dev.switchboard.simulators;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An admin call as the docs' curl makes it: a new connection each time, HTTP/1.1, and an answer within
 * two seconds or the test fails. A client of its own, not Vert.x's: what is tested is what any client sees.
 */
public final class AdminCall {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private AdminCall() {
  }

  /** POSTs {@code path}; it must answer 200 with the simulator's stats, at once. */
  public static JsonObject post(int port, String path) {
    return call(port, "POST", path);
  }

  public static JsonObject get(int port, String path) {
    return call(port, "GET", path);
  }

  /** Whether GET /admin/stats answers now (false while the simulator is down). */
  public static boolean answers(int port) {
    try {
      get(port, "/admin/stats");
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }

  private static JsonObject call(int port, String method, String path) {
    // A client per call: its pooled connection would hide whether a new one gets through.
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(TIMEOUT).method(method, HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " got no answer within " + TIMEOUT.toMillis() + " ms: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    assertEquals(200, response.statusCode(), method + " " + path + ": " + response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"), method + " " + path);
    return new JsonObject(response.body());
  }
}
