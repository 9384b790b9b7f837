/* See button_part.h. Each command plays a short plan of pin levels at offsets from now, on a
 * simavr cycle timer, so the bounce is timed in simulated time whatever the wall-clock pace. */
#include "button_part.h"

#include "port_drive.h"

#include <simavr/avr_ioport.h>
#include <simavr/sim_cycle_timers.h>
#include <simavr/sim_time.h>
#include <string.h>

static avr_cycle_count_t step(avr_t *avr, avr_cycle_count_t when, void *param) {
  button_t *b = (button_t *)param;
  (void)when;
  while (b->next < b->n && b->plan[b->next].at <= avr->cycle) {
    b->level = b->plan[b->next].level;
    port_drive(avr, b->port, b->bit, 1, b->level);
    avr_raise_irq(b->pin, (uint32_t)b->level);
    b->next++;
  }
  return b->next < b->n ? b->plan[b->next].at : 0;
}

static void play(button_t *b, const double *offsets_us, const int *levels, int n) {
  avr_cycle_timer_cancel(b->avr, step, b);
  b->n = n;
  b->next = 0;
  for (int i = 0; i < n; ++i) {
    b->plan[i].at = b->avr->cycle + avr_usec_to_cycles(b->avr, (uint32_t)offsets_us[i]);
    b->plan[i].level = levels[i];
  }
  avr_cycle_timer_register(b->avr, 1, step, b);
}

void button_init(avr_t *avr, button_t *b, char port, int pin) {
  memset(b, 0, sizeof *b);
  b->avr = avr;
  b->port = port;
  b->bit = pin;
  b->pin = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(port), pin);
  button_mcu_reset(b);
}

void button_mcu_reset(button_t *b) {
  if (b->n == 0) b->level = 1; /* never pressed: released; else the contact stays where it was */
  /* Released, the contact is open and the firmware's pull-up holds the pin high; modelled as a
   * drive to 1 (the same level) so the port's other external drives stay as they are. */
  port_drive(b->avr, b->port, b->bit, 1, b->level);
  avr_raise_irq(b->pin, (uint32_t)b->level);
  if (b->next < b->n) avr_cycle_timer_register(b->avr, 1, step, b); /* avr_reset dropped it */
}

int button_command(button_t *b, const char *what) {
  /* bounce as seen on a scope on a tactile switch: a few contacts and releases, then settled */
  static const double down_us[] = {0, 300, 500, 900, 1100, 1500};
  static const int down_lv[] = {0, 1, 0, 1, 0, 0};
  static const double up_us[] = {0, 200, 400, 800};
  static const int up_lv[] = {1, 0, 1, 1};
  static const double glitch_us[] = {0, 5000};
  static const int glitch_lv[] = {0, 1};
  if (!strcmp(what, "down")) {
    play(b, down_us, down_lv, 6);
    b->presses++;
  } else if (!strcmp(what, "up")) {
    play(b, up_us, up_lv, 4);
  } else if (!strcmp(what, "glitch")) {
    play(b, glitch_us, glitch_lv, 2);
  } else {
    return 0;
  }
  return 1;
}
