/* A simavr part modelling the HX711 24-bit load-cell ADC as the firmware sees it, after the
 * datasheet (RATE pin high: 80 SPS; low: 10 SPS):
 *  - a conversion every 12.5 ms (100 ms) pulls DOUT low; each PD_SCK rising edge shifts out the next bit,
 *    MSB first, two's complement; pulses 25, 26 or 27 release DOUT and select the input and gain of
 *    the NEXT conversion (25: A/128, 26: B/32, 27: A/64);
 *  - PD_SCK high for more than 60 us powers the chip down (DOUT high); PD_SCK low again resets it
 *    to A/128, and the first conversion comes after the 50 ms (400 ms) settling time;
 *  - unplugged (the model "stops answering"): DOUT reads high if the MCU enabled its pull-up and
 *    floats (random levels) if not; a replug is a power-up (A/128, 50 ms settling).
 * Anything outside the protocol (a read that is not 25-27 pulses, clocking while DOUT is high,
 * a power-down in the middle of a read) is counted and reported through `on_error`. */
#ifndef HX711_PART_H
#define HX711_PART_H
#include <simavr/sim_avr.h>
#include <simavr/sim_irq.h>
#include <stdint.h>

/* Differential input of channel A in counts at gain 128, at simulated time t_s. */
typedef int32_t (*hx711_sample_fn)(void *ctx, double t_s);
typedef void (*hx711_error_fn)(void *ctx, double t_s, const char *what);

typedef struct hx711_t {
  avr_t *avr;
  avr_irq_t *irq; /* [0] = PD_SCK in, [1] = DOUT out */
  hx711_sample_fn sample;
  hx711_error_fn on_error;
  void *ctx;
  uint32_t period_us, settle_us; /* RATE pin: high 80 SPS (12.5 ms, 50 ms); low 10 SPS */
  char dout_port; /* port and bit of the MCU pin on DOUT, to see its pull-up */
  uint8_t dout_bit;

  int32_t data;      /* the conversion being shifted out */
  int ready;         /* a conversion is waiting: DOUT low until its first bit goes out */
  int pulses;        /* PD_SCK rising edges since the last conversion */
  int gain;          /* 128 (A), 64 (A) or 32 (B) for the next conversion */
  int sck_high;
  avr_cycle_count_t sck_rise;
  avr_cycle_count_t next_conversion; /* cycle of the next conversion, kept across MCU resets */
  int unplugged;
  int powered_down;
  uint32_t noise; /* xorshift state for a floating DOUT */

  unsigned conversions, reads, protocol_errors, power_downs;
  /* What the firmware's read looks like from the chip's side, for the summary and the tests. */
  avr_cycle_count_t read_start;
  double longest_read_us, longest_sck_high_us;
  unsigned edges_with_interrupts_on; /* PD_SCK edges of a read while the MCU's I flag was set */
} hx711_t;

enum { HX711_IRQ_SCK = 0, HX711_IRQ_DOUT, HX711_IRQ_COUNT };

void hx711_init(avr_t *avr, hx711_t *h, char dout_port, uint8_t dout_bit, hx711_sample_fn sample,
                hx711_error_fn on_error, void *ctx);
/* RATE pin level (1: 80 SPS, the default; 0: 10 SPS, as most modules are sold). Before start. */
void hx711_set_rate_pin(hx711_t *h, int high);
/* Power up: call once wired. */
void hx711_start(hx711_t *h);
/* The MCU was reset: the HX711 keeps running on its own clock. avr_reset() drops every cycle
 * timer and pin latch, so this re-arms the model's timers and re-drives DOUT. */
void hx711_mcu_reset(hx711_t *h);
/* Cable pulled (1) or plugged back (0). */
void hx711_set_unplugged(hx711_t *h, int unplugged);
#endif
