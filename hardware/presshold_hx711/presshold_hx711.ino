// PressHold HX711 firmware: streams raw 24-bit load-cell counts at the HX711's 80 SPS.
// Protocol v1 (docs/protocol.md): "# presshold 1 sensor=hx711 rate=80 unit=raw" at boot and on '?',
// then "t_us:<micros>,raw:<counts>,button:<0|1>" per conversion (button: the client's patient
// button, debounced); other "# ..." lines are reports for people.
// No averaging, no tare, no scaling on the device: the host owns all signal processing, so every
// conversion the HX711 makes reaches the host untouched, with its own timestamp.
// Builds unchanged in the Arduino IDE and with Debian avr-gcc (hardware/presshold_shim.h).
#include "presshold_format.h"

const uint8_t PIN_DOUT = 2;  // HX711 DOUT -> D2
const uint8_t PIN_SCK = 3;   // HX711 PD_SCK <- D3
const uint8_t PIN_BUTTON = 4;  // patient button from D4 to GND (internal pull-up: pressed = LOW)

// 24 data bits + 1 pulse = channel A, gain 128 for the next conversion. Test-only defines break
// the read on purpose so the firmware-in-the-loop tests can prove they notice (hardware/Makefile).
#ifdef PRESSHOLD_BREAK_PULSES
const uint8_t HX711_PULSES = PRESSHOLD_BREAK_PULSES;
#else
const uint8_t HX711_PULSES = 25;
#endif

// At 80 SPS a conversion is due every 12.5 ms (10 SPS: 100 ms, and 400 ms to the first one after
// power-up); 500 ms of silence means the chip is gone.
const unsigned long MISSING_AFTER_US = 500000UL;
// While it is gone: say so again (a host may have connected since) and reset the chip this often.
const unsigned long RETRY_EVERY_US = 2000000UL;

// Most HX711 modules are sold with the RATE pin low (10 SPS); 100 ms between conversions, four
// times running, means that, and the user is told how to fix it (hardware/README.md).
const unsigned long SLOW_RATE_US = 60000UL;
const uint8_t SLOW_RATE_SEEN = 4;

static unsigned long last_sample_us;
static unsigned long last_retry_us;
static bool missing;
static uint8_t slow_in_a_row;
static struct presshold_button button;

static void say_hello() { Serial.print("# presshold 1 sensor=hx711 rate=80 unit=raw\r\n"); }

static void say_slow() {
  Serial.print("# hx711 at 10 SPS: RATE pin is low; tie it to DVDD for 80 SPS (hardware/README.md)\r\n");
}

static void say_missing() {
  Serial.print("# hx711 not responding (check DOUT=D2, SCK=D3, VCC, GND); retrying\r\n");
}

// Bit-banged read, MSB first. Interrupts stay off for the whole pulse train: a timer interrupt
// stretching PD_SCK high past 60 us would power the HX711 down in the middle of the read.
static long read_hx711() {
  unsigned long v = 0;
  noInterrupts();
  for (uint8_t i = 0; i < HX711_PULSES; ++i) {
    digitalWrite(PIN_SCK, HIGH);
    delayMicroseconds(1);
    if (i < 24) {
      unsigned long bit = digitalRead(PIN_DOUT) == HIGH ? 1UL : 0UL;
#ifdef PRESSHOLD_BREAK_BIT_ORDER
      v |= bit << i;
#else
      v = (v << 1) | bit;
#endif
    }
    digitalWrite(PIN_SCK, LOW);
    delayMicroseconds(1);
  }
  interrupts();
  if (v & 0x800000UL) v |= 0xFF000000UL;  // sign-extend the 24-bit two's complement value
  return (long)v;
}

// PD_SCK high for > 60 us powers the HX711 down; low again resets it to channel A, gain 128.
// Recovers a chip left confused by a glitch on the wires; harmless when nothing is connected.
static void reset_hx711() {
  digitalWrite(PIN_SCK, HIGH);
  delayMicroseconds(100);
  digitalWrite(PIN_SCK, LOW);
}

void setup() {
  Serial.begin(115200);
  // The pull-up makes an unplugged DOUT read HIGH ("no conversion ready") instead of floating
  // and being read as noise; the HX711 drives the line hard, so it changes nothing when present.
  pinMode(PIN_DOUT, INPUT_PULLUP);
  pinMode(PIN_SCK, OUTPUT);
  digitalWrite(PIN_SCK, LOW);
  pinMode(PIN_BUTTON, INPUT_PULLUP);  // no button wired: reads released, always "button:0"
  say_hello();
  last_sample_us = micros();
  missing = false;
}

void loop() {
  // Every pass (a few microseconds apart), so a press is confirmed 20 ms after it settles and
  // goes out with the next conversion, at most 12.5 ms later.
  unsigned char pressed = presshold_button_update(&button, digitalRead(PIN_BUTTON) == LOW, micros());
  while (Serial.available() > 0) {
    if (Serial.read() == '?') {
      say_hello();
      if (missing) say_missing();
      if (slow_in_a_row >= SLOW_RATE_SEEN) say_slow();
    }
  }
  if (digitalRead(PIN_DOUT) == LOW) {  // conversion ready
    unsigned long t = micros();
    long raw = read_hx711();
    char line[48];
    presshold_format_sample_button(line, t, raw, pressed);
    Serial.print(line);
    unsigned long interval = t - last_sample_us;
    if (interval > SLOW_RATE_US && interval < MISSING_AFTER_US && slow_in_a_row < SLOW_RATE_SEEN) {
      if (++slow_in_a_row == SLOW_RATE_SEEN) say_slow();
    } else if (interval <= SLOW_RATE_US) {
      slow_in_a_row = 0;
    }
    last_sample_us = t;
    if (missing) {
      Serial.print("# hx711 back\r\n");
      missing = false;
    }
    return;
  }
  unsigned long now = micros();
  if (now - last_sample_us > MISSING_AFTER_US && (!missing || now - last_retry_us > RETRY_EVERY_US)) {
    say_missing();
    reset_hx711();
    missing = true;
    last_retry_us = now;
  }
}
