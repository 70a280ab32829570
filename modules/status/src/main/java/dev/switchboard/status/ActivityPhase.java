package dev.switchboard.status;

import java.time.Duration;

/**
 * One flag of an activity channel: the report type that sets it, the one that clears it, and how long
 * it may stay set before it is taken for stale (the publisher died or forgot to say it was done).
 */
public record ActivityPhase(String name, String startType, String endType, Duration staleAfter) {
}
