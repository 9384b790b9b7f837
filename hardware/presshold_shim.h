/* The few Arduino calls the PressHold sketches use, on bare avr-libc, for the Debian avr-gcc
 * build only (Debian's Arduino core does not compile with its avr-gcc 5.4). Force-included
 * with -include; the Arduino IDE never sees this file. Digital pins 0-7 only (PORTD), as wired;
 * analog inputs A0-A5. */
#ifndef PRESSHOLD_SHIM_H
#define PRESSHOLD_SHIM_H
#include <avr/interrupt.h>
#include <avr/io.h>
#include <stdint.h>
#include <util/delay.h>

#define HIGH 1
#define LOW 0
#define INPUT 0
#define OUTPUT 1
#define INPUT_PULLUP 2
#define A0 14
#define noInterrupts() cli()
#define interrupts() sei()
#define delayMicroseconds(us) _delay_us(us)

static inline void pinMode(uint8_t pin, uint8_t mode) {
  if (mode == OUTPUT) {
    DDRD |= (uint8_t)(1u << pin);
  } else {
    DDRD &= (uint8_t)~(1u << pin);
    if (mode == INPUT_PULLUP) PORTD |= (uint8_t)(1u << pin);
    else PORTD &= (uint8_t)~(1u << pin);
  }
}
static inline void digitalWrite(uint8_t pin, uint8_t v) {
  if (v) PORTD |= (uint8_t)(1u << pin);
  else PORTD &= (uint8_t)~(1u << pin);
}
static inline int digitalRead(uint8_t pin) { return (PIND >> pin) & 1u; }

/* analogRead(A0..A5) as the Arduino core does it: AVcc reference, ADC clock 16 MHz / 128. */
static inline int analogRead(uint8_t pin) {
  ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
  ADMUX = (uint8_t)(_BV(REFS0) | ((pin >= A0 ? pin - A0 : pin) & 0x07));
  ADCSRA |= _BV(ADSC);
  while (ADCSRA & _BV(ADSC)) {
  }
  uint8_t low = ADCL; /* ADCL first: reading it locks ADCH until read */
  return (int)(((uint16_t)ADCH << 8) | low);
}

/* micros() as the Arduino core does it: Timer0, prescaler 64, 4 us per tick at 16 MHz. */
static volatile unsigned long shim_timer0_overflows;
ISR(TIMER0_OVF_vect) { shim_timer0_overflows++; }
static unsigned long micros(void) {
  uint8_t sreg = SREG;
  cli();
  unsigned long m = shim_timer0_overflows;
  uint8_t t = TCNT0;
  if ((TIFR0 & _BV(TOV0)) && t < 255) m++;
  SREG = sreg;
  return ((m << 8) + t) * (64UL / (F_CPU / 1000000UL));
}

struct ShimSerial {
  void begin(unsigned long baud) {
    uint16_t ubrr = (uint16_t)((F_CPU / 8UL + baud / 2UL) / baud - 1UL); /* U2X, as Arduino */
    UCSR0A = _BV(U2X0);
    UBRR0H = (uint8_t)(ubrr >> 8);
    UBRR0L = (uint8_t)ubrr;
    UCSR0B = _BV(TXEN0) | _BV(RXEN0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
  }
  void write(char c) {
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    UDR0 = (uint8_t)c;
  }
  void print(const char *s) {
    while (*s) write(*s++);
  }
  int available() { return (UCSR0A & _BV(RXC0)) ? 1 : 0; }
  int read() { return available() ? UDR0 : -1; }
};
static ShimSerial Serial;

void setup();
void loop();

int main(void) {
  TCCR0A = 0;
  TCCR0B = _BV(CS01) | _BV(CS00);
  TIMSK0 = _BV(TOIE0);
  sei();
  setup();
  for (;;) loop();
}
#endif
