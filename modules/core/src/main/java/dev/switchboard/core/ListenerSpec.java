package dev.switchboard.core;

/**
 * What every listener has, whatever its kind.
 *
 * @param url the upstream URL as shown to people, secrets already masked
 */
public record ListenerSpec(String name, String type, boolean autoStart, RestartPolicy policy, String url) {
}
