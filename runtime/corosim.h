// The corosim runtime: everything user code is written with.
#pragma once

#include "runtime/cancelled.h"
#include "runtime/channel.h"
#include "runtime/check.h"
#include "runtime/event.h"
#include "runtime/event_loop.h"
#include "runtime/executor.h"
#include "runtime/mutex.h"
#include "runtime/oneshot.h"
#include "runtime/scope.h"
#include "runtime/select.h"
#include "runtime/semaphore.h"
#include "runtime/sim_file.h"
#include "runtime/spawn.h"
#include "runtime/stop.h"
#include "runtime/task.h"
#include "runtime/time.h"
