package dev.switchboard.simulators.alpaca;

/** An error the stream sends as {@code [{"T":"error","code":..,"msg":..}]}. */
record AlpacaError(int code, String message) {
}
