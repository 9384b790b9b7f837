// PressHold HX711 firmware: streams raw 24-bit load-cell counts at the HX711's 80 SPS.
// Protocol (docs/protocol.md): "# presshold 1 sensor=hx711 rate=80 unit=raw" at boot and on '?',
// then "t_us:<micros>,raw:<counts>" per conversion, "# ..." free-text reports.
// No averaging, no tare, no scaling on the device: the host owns all signal processing, so
// every conversion the HX711 makes reaches the host untouched, with its own timestamp.
// Builds unchanged in the Arduino IDE and with Debian avr-gcc (hardware/presshold_shim.h).
#include "presshold_format.h"

const uint8_t PIN_DOUT = 2;  // HX711 DOUT -> D2
const uint8_t PIN_SCK = 3;   // HX711 PD_SCK <- D3

// 25 pulses = channel A, gain 128 for the next conversion. A test-only define breaks this on
// purpose so the firmware-in-the-loop suite can prove it notices a wrong read.
#ifdef PRESSHOLD_BREAK_PULSES
const uint8_t HX711_PULSES = PRESSHOLD_BREAK_PULSES;
#else
const uint8_t HX711_PULSES = 25;
#endif

// At 80 SPS a conversion is due every 12.5 ms; silence for this long means the chip is gone.
const unsigned long MISSING_AFTER_US = 200000UL;

static unsigned long last_sample_us;
static bool reported_missing;

static void say_hello() { Serial.print("# presshold 1 sensor=hx711 rate=80 unit=raw\r\n"); }

// Bit-banged read; interrupts off so a timer ISR cannot stretch PD_SCK high past 60 us,
// which would power the HX711 down.
static long read_hx711() {
  unsigned long v = 0;
  noInterrupts();
  for (uint8_t i = 0; i < HX711_PULSES; ++i) {
    digitalWrite(PIN_SCK, HIGH);
    delayMicroseconds(1);
    if (i < 24) v = (v << 1) | (digitalRead(PIN_DOUT) == HIGH ? 1UL : 0UL);
    digitalWrite(PIN_SCK, LOW);
    delayMicroseconds(1);
  }
  interrupts();
  if (v & 0x800000UL) v |= 0xFF000000UL;  // sign-extend two's complement 24-bit
  return (long)v;
}

void setup() {
  Serial.begin(115200);
  pinMode(PIN_DOUT, INPUT);
  pinMode(PIN_SCK, OUTPUT);
  digitalWrite(PIN_SCK, LOW);
  say_hello();
  last_sample_us = micros();
  reported_missing = false;
}

void loop() {
  while (Serial.available() > 0) {
    if (Serial.read() == '?') say_hello();
  }
  if (digitalRead(PIN_DOUT) == LOW) {  // conversion ready
    unsigned long t = micros();
    long raw = read_hx711();
    char line[40];
    presshold_format_sample(line, t, raw);
    Serial.print(line);
    last_sample_us = t;
    if (reported_missing) {
      Serial.print("# hx711 back\r\n");
      reported_missing = false;
    }
  } else if (!reported_missing && micros() - last_sample_us > MISSING_AFTER_US) {
    Serial.print("# hx711 not responding (check DOUT=D2, SCK=D3, VCC, GND)\r\n");
    reported_missing = true;
  }
}
