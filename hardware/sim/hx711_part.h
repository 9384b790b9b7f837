/* A simavr part modelling the HX711 24-bit load-cell ADC as the firmware sees it (datasheet
 * timing at RATE=high): a conversion every 12.5 ms pulls DOUT low; each PD_SCK rising edge
 * shifts out the next bit, MSB first; the 25th pulse selects channel A/gain 128 and releases
 * DOUT. Faults: "unplugged" keeps DOUT high (what a pull-up does on a loose wire); PD_SCK held
 * high > 60 us powers the chip down. Protocol errors are counted so the host can report them. */
#ifndef HX711_PART_H
#define HX711_PART_H
#include <simavr/sim_avr.h>
#include <simavr/sim_irq.h>
#include <stdint.h>

typedef int32_t (*hx711_sample_fn)(void *ctx, double t_s);

typedef struct hx711_t {
  avr_t *avr;
  avr_irq_t *irq; /* [0] = PD_SCK in, [1] = DOUT out */
  hx711_sample_fn sample;
  void *ctx;
  int32_t data;
  int pulses;       /* PD_SCK rising edges since the last conversion */
  int sck_high;
  avr_cycle_count_t sck_rise;
  int unplugged;
  int powered_down;
  unsigned conversions, reads, bad_reads;
} hx711_t;

enum { HX711_IRQ_SCK = 0, HX711_IRQ_DOUT, HX711_IRQ_COUNT };

void hx711_init(avr_t *avr, hx711_t *h, hx711_sample_fn sample, void *ctx);
/* Call once wired, and again after avr_reset(). */
void hx711_start(hx711_t *h);
#endif
