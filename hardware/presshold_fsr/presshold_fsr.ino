// PressHold FSR firmware: a force-sensing resistor in a voltage divider on A0, sampled at 100 Hz.
// Same protocol v1 as the HX711 sketch: "# presshold 1 sensor=fsr rate=100 unit=raw" at boot and
// on '?', then "t_us:<micros>,raw:<0-1023>,button:<0|1>" (the patient button on D4, debounced,
// wired as in the HX711 sketch). The FSR is far from linear: calibrate it on the host
// with several known weights (presshold calibrate) and expect a few percent, not a load cell's
// fraction of a percent. No averaging on the device: the host filters.
// Builds unchanged in the Arduino IDE and with Debian avr-gcc (hardware/presshold_shim.h).
// presshold_format.h is a copy of the HX711 sketch's (the Arduino IDE only sees files in the
// sketch folder); a test keeps the two identical.
#include "presshold_format.h"

const uint8_t PIN_FSR = A0;  // FSR from 5V to A0, 10 kOhm from A0 to GND
const unsigned long PERIOD_US = 10000UL;  // 100 Hz
const uint8_t PIN_BUTTON = 4;  // patient button from D4 to GND (internal pull-up: pressed = LOW)

static unsigned long next_us;
static struct presshold_button button;

static void say_hello() { Serial.print("# presshold 1 sensor=fsr rate=100 unit=raw\r\n"); }

void setup() {
  Serial.begin(115200);
  pinMode(PIN_BUTTON, INPUT_PULLUP);  // no button wired: reads released, always "button:0"
  say_hello();
  next_us = micros();
}

void loop() {
  while (Serial.available() > 0) {
    if (Serial.read() == '?') say_hello();
  }
  unsigned long now = micros();
  unsigned char pressed = presshold_button_update(&button, digitalRead(PIN_BUTTON) == LOW, now);
  if ((long)(now - next_us) < 0) return;
  // On a fixed grid, so the rate does not drift with the time spent printing.
  next_us += PERIOD_US;
  if ((long)(now - next_us) > 0) next_us = now + PERIOD_US;  // fell behind: skip, do not burst
  char line[48];
  presshold_format_sample_button(line, now, (long)analogRead(PIN_FSR), pressed);
  Serial.print(line);
}
