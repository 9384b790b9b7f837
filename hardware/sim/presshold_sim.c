/* simavr host for the PressHold firmware: runs the real .elf on a simulated ATmega328P wired to
 * an HX711 model that plays a force profile, with the UART on a pty behind a stable link.
 *
 *   presshold_sim FIRMWARE.elf --link PATH [--profile FILE] [--offset COUNTS] [--scale COUNTS_PER_N]
 *                 [--duration S] [--unplug FROM:TO] [--reset-at S] [--no-wait]
 *
 * Profile file: "t_s force_n" per line, linearly interpolated, last value held. Times are
 * simulated seconds. Paced to the wall clock; prints "pty <name>" then "ready" on stdout. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <simavr/avr_ioport.h>
#include <simavr/avr_uart.h>
#include <simavr/parts/uart_pty.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_cycle_timers.h>
#include <simavr/sim_elf.h>

#include "hx711_part.h"

#define MAX_POINTS 4096

typedef struct {
  double t[MAX_POINTS], f[MAX_POINTS];
  int n;
  double offset, scale;
} profile_t;

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int32_t profile_sample(void *ctx, double t_s) {
  const profile_t *p = (const profile_t *)ctx;
  double f = 0.0;
  if (p->n == 1 || (p->n > 0 && t_s <= p->t[0])) f = p->f[0];
  else if (p->n > 0 && t_s >= p->t[p->n - 1]) f = p->f[p->n - 1];
  else
    for (int i = 1; i < p->n; ++i)
      if (t_s < p->t[i]) {
        double a = (t_s - p->t[i - 1]) / (p->t[i] - p->t[i - 1]);
        f = p->f[i - 1] + a * (p->f[i] - p->f[i - 1]);
        break;
      }
  double raw = p->offset + p->scale * f;
  if (raw > 8388607.0) raw = 8388607.0; /* the ADC saturates, as the real one does */
  if (raw < -8388608.0) raw = -8388608.0;
  return (int32_t)(raw < 0 ? raw - 0.5 : raw + 0.5);
}

static int load_profile(const char *path, profile_t *p) {
  FILE *fp = fopen(path, "r");
  if (!fp) return -1;
  char line[256];
  while (fgets(line, sizeof line, fp) && p->n < MAX_POINTS) {
    double t, f;
    if (line[0] == '#') continue;
    if (sscanf(line, "%lf %lf", &t, &f) == 2) {
      p->t[p->n] = t;
      p->f[p->n] = f;
      p->n++;
    }
  }
  fclose(fp);
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* pyserial flushes input on open, so hold the MCU in reset until someone opens the pty. */
static void wait_for_open(const char *pty, double timeout_s) {
  int fd = inotify_init1(IN_NONBLOCK);
  if (fd < 0) return;
  if (inotify_add_watch(fd, pty, IN_OPEN) >= 0) {
    struct pollfd pfd = {fd, POLLIN, 0};
    double end = now_s() + timeout_s;
    while (!stop_requested && now_s() < end)
      if (poll(&pfd, 1, 100) > 0) break;
  }
  close(fd);
}

int main(int argc, char **argv) {
  static profile_t prof = {.offset = 84213.0, .scale = 42800.0};
  const char *elf = NULL, *link_path = NULL, *profile_path = NULL;
  double duration = 0.0, unplug_from = -1.0, unplug_to = -1.0, reset_at = -1.0;
  int wait = 1;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--link") && v) link_path = argv[++i];
    else if (!strcmp(a, "--profile") && v) profile_path = argv[++i];
    else if (!strcmp(a, "--offset") && v) prof.offset = atof(argv[++i]);
    else if (!strcmp(a, "--scale") && v) prof.scale = atof(argv[++i]);
    else if (!strcmp(a, "--duration") && v) duration = atof(argv[++i]);
    else if (!strcmp(a, "--reset-at") && v) reset_at = atof(argv[++i]);
    else if (!strcmp(a, "--unplug") && v) {
      if (sscanf(argv[++i], "%lf:%lf", &unplug_from, &unplug_to) != 2) goto usage;
    } else if (!strcmp(a, "--no-wait")) wait = 0;
    else if (a[0] != '-' && !elf) elf = a;
    else goto usage;
  }
  if (!elf || !link_path) goto usage;
  if (profile_path && load_profile(profile_path, &prof) != 0) {
    fprintf(stderr, "cannot read profile %s: %s\n", profile_path, strerror(errno));
    return 2;
  }

  elf_firmware_t fw;
  memset(&fw, 0, sizeof fw);
  if (elf_read_firmware(elf, &fw) != 0) {
    fprintf(stderr, "cannot read firmware %s\n", elf);
    return 2;
  }
  avr_t *avr = avr_make_mcu_by_name("atmega328p");
  if (!avr) return 2;
  avr_init(avr);
  avr->frequency = 16000000;
  avr_load_firmware(avr, &fw);
  avr->log = LOG_ERROR;

  uint32_t flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
  flags &= ~AVR_UART_FLAG_POLL_SLEEP;
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);

  static uart_pty_t uart;
  uart_pty_init(avr, &uart);
  uart_pty_connect(&uart, '0');
  unlink(link_path);
  if (symlink(uart.pty.slavename, link_path) != 0) {
    fprintf(stderr, "cannot link %s: %s\n", link_path, strerror(errno));
    return 2;
  }
  printf("pty %s\n", uart.pty.slavename);
  fflush(stdout);

  static hx711_t hx;
  hx711_init(avr, &hx, profile_sample, &prof);
  avr_connect_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 3), hx.irq + HX711_IRQ_SCK);
  avr_connect_irq(hx.irq + HX711_IRQ_DOUT, avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2));
  hx711_start(&hx);

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  if (wait) wait_for_open(uart.pty.slavename, 15.0);
  printf("ready\n");
  fflush(stdout);

  double wall0 = now_s();
  uint64_t steps = 0;
  int did_reset = 0;
  while (!stop_requested) {
    int state = avr_run(avr);
    if (state == cpu_Done || state == cpu_Crashed) break;
    if (++steps % 1000 != 0) continue;
    double sim_t = (double)avr->cycle / (double)avr->frequency;
    if (duration > 0 && sim_t >= duration) break;
    hx.unplugged = unplug_from >= 0 && sim_t >= unplug_from && sim_t < unplug_to;
    if (!did_reset && reset_at >= 0 && sim_t >= reset_at) {
      did_reset = 1;
      avr_reset(avr); /* as the reset button or DTR would: firmware restarts, micros() from 0 */
      hx711_start(&hx);
    }
    double ahead = sim_t - (now_s() - wall0);
    if (ahead > 0.002) usleep((useconds_t)(ahead * 1e6));
  }
  fprintf(stderr, "hx711: %u conversions, %u reads, %u bad reads\n", hx.conversions, hx.reads,
          hx.bad_reads);
  unlink(link_path);
  fflush(stdout);
  /* uart_pty_stop can hang with no reader attached (its thread spins): just leave. */
  _exit(0);
usage:
  fprintf(stderr,
          "usage: %s FIRMWARE.elf --link PATH [--profile FILE] [--offset N] [--scale N]\n"
          "       [--duration S] [--unplug FROM:TO] [--reset-at S] [--no-wait]\n",
          argv[0]);
  return 2;
}
