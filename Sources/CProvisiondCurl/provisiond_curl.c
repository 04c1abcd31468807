#include "provisiond_curl.h"
