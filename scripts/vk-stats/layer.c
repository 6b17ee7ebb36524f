/*
 * A Vulkan layer that asks the driver for each compute pipeline's statistics as it is made and
 * appends them to a file: on NVIDIA's driver the registers a lane takes ("Register Count"), which
 * decide how many workgroups of a kernel fit on a multiprocessor at once. WebGPU reports none of
 * that; docs/findings.md inferred it from the co-residency probe's brackets until this measured it
 * (scripts/kernel-registers.ts runs it; docs/design.md, "Registers, measured").
 *
 * It turns VK_KHR_pipeline_executable_properties on where the device offers it (the extension
 * and its pipelineExecutableInfo feature), adds VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR
 * to every vkCreateComputePipelines call, and after it writes one line per pipeline executable:
 *   entry=<entry point>\texecutable=<name>\tsubgroup=<size>\t<statistic>=<value>\t…
 * to $LAUNCHBENCH_VK_STATS (appended; standard error when unset). Nothing else changes.
 * Enabled with VK_LAYER_PATH=<folder of its manifest> VK_INSTANCE_LAYERS=VK_LAYER_LAUNCHBENCH_stats
 * (scripts/vk-stats/build.sh writes both files).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_ENTRIES 256

struct instance_entry {
  void *key;
  VkInstance instance;
  PFN_vkGetInstanceProcAddr next_gipa;
};

struct device_entry {
  void *key;
  int stats;
  PFN_vkGetDeviceProcAddr next_gdpa;
  PFN_vkCreateComputePipelines create_compute;
  PFN_vkGetPipelineExecutablePropertiesKHR executable_properties;
  PFN_vkGetPipelineExecutableStatisticsKHR executable_statistics;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct instance_entry instances[MAX_ENTRIES];
static int instance_count;
static struct device_entry devices[MAX_ENTRIES];
static int device_count;

/* A dispatchable handle's first word: the loader's dispatch table, shared by an instance and its
 * physical devices, and by a device and its queues. */
static void *key_of(const void *handle) { return *(void *const *)handle; }

/* The latest entry of `key` (a handle freed and made again can reuse a key). */
static struct instance_entry *find_instance(void *key) {
  struct instance_entry *found = NULL;
  pthread_mutex_lock(&lock);
  for (int i = instance_count - 1; i >= 0 && found == NULL; i--)
    if (instances[i].key == key) found = &instances[i];
  pthread_mutex_unlock(&lock);
  return found;
}

static struct device_entry *find_device(void *key) {
  struct device_entry *found = NULL;
  pthread_mutex_lock(&lock);
  for (int i = device_count - 1; i >= 0 && found == NULL; i--)
    if (devices[i].key == key) found = &devices[i];
  pthread_mutex_unlock(&lock);
  return found;
}

/* Takes `key`'s latest entry out of `entries` (count `*count`, entries of `size` bytes). */
static void forget(void *entries, int *count, size_t size, void *key) {
  pthread_mutex_lock(&lock);
  for (int i = *count - 1; i >= 0; i--) {
    char *at = (char *)entries + (size_t)i * size;
    if (*(void **)at == key) {
      memmove(at, at + size, (size_t)(*count - i - 1) * size);
      (*count)--;
      break;
    }
  }
  pthread_mutex_unlock(&lock);
}

static VKAPI_ATTR VkResult VKAPI_CALL stats_CreateInstance(const VkInstanceCreateInfo *info,
                                                           const VkAllocationCallbacks *alloc,
                                                           VkInstance *out) {
  VkLayerInstanceCreateInfo *link = (VkLayerInstanceCreateInfo *)info->pNext;
  while (link != NULL && !(link->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO &&
                           link->function == VK_LAYER_LINK_INFO))
    link = (VkLayerInstanceCreateInfo *)link->pNext;
  if (link == NULL) return VK_ERROR_INITIALIZATION_FAILED;
  PFN_vkGetInstanceProcAddr next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
  link->u.pLayerInfo = link->u.pLayerInfo->pNext;
  PFN_vkCreateInstance create = (PFN_vkCreateInstance)next_gipa(VK_NULL_HANDLE, "vkCreateInstance");
  VkResult result = create(info, alloc, out);
  if (result != VK_SUCCESS) return result;
  int full;
  pthread_mutex_lock(&lock);
  full = instance_count == MAX_ENTRIES;
  if (!full) instances[instance_count++] = (struct instance_entry){key_of(*out), *out, next_gipa};
  pthread_mutex_unlock(&lock);
  if (full) {
    /* no room to find its next layer by: the instance could not be used through this one */
    PFN_vkDestroyInstance destroy = (PFN_vkDestroyInstance)next_gipa(*out, "vkDestroyInstance");
    if (destroy != NULL) destroy(*out, alloc);
    *out = VK_NULL_HANDLE;
    return VK_ERROR_TOO_MANY_OBJECTS;
  }
  return result;
}

static VKAPI_ATTR void VKAPI_CALL stats_DestroyInstance(VkInstance instance, const VkAllocationCallbacks *alloc) {
  if (instance == VK_NULL_HANDLE) return;
  struct instance_entry *inst = find_instance(key_of(instance));
  if (inst == NULL) return;
  PFN_vkDestroyInstance destroy = (PFN_vkDestroyInstance)inst->next_gipa(instance, "vkDestroyInstance");
  forget(instances, &instance_count, sizeof instances[0], key_of(instance));
  if (destroy != NULL) destroy(instance, alloc);
}

static int offers_extension(VkInstance instance, PFN_vkGetInstanceProcAddr gipa,
                            VkPhysicalDevice physical, const char *name) {
  PFN_vkEnumerateDeviceExtensionProperties enumerate =
      (PFN_vkEnumerateDeviceExtensionProperties)gipa(instance, "vkEnumerateDeviceExtensionProperties");
  uint32_t count = 0;
  if (enumerate == NULL || enumerate(physical, NULL, &count, NULL) != VK_SUCCESS) return 0;
  VkExtensionProperties *props = calloc(count, sizeof *props);
  int found = 0;
  if (props != NULL && enumerate(physical, NULL, &count, props) == VK_SUCCESS)
    for (uint32_t i = 0; i < count && !found; i++) found = strcmp(props[i].extensionName, name) == 0;
  free(props);
  return found;
}

static VKAPI_ATTR VkResult VKAPI_CALL stats_CreateDevice(VkPhysicalDevice physical,
                                                         const VkDeviceCreateInfo *info,
                                                         const VkAllocationCallbacks *alloc,
                                                         VkDevice *out) {
  VkLayerDeviceCreateInfo *link = (VkLayerDeviceCreateInfo *)info->pNext;
  while (link != NULL && !(link->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO &&
                           link->function == VK_LAYER_LINK_INFO))
    link = (VkLayerDeviceCreateInfo *)link->pNext;
  struct instance_entry *inst = find_instance(key_of(physical));
  if (link == NULL || inst == NULL) return VK_ERROR_INITIALIZATION_FAILED;
  PFN_vkGetInstanceProcAddr next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
  PFN_vkGetDeviceProcAddr next_gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
  link->u.pLayerInfo = link->u.pLayerInfo->pNext;
  PFN_vkCreateDevice create = (PFN_vkCreateDevice)next_gipa(inst->instance, "vkCreateDevice");

  const char *ext = VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME;
  int stats = offers_extension(inst->instance, next_gipa, physical, ext);
  VkDeviceCreateInfo copy = *info;
  const char **names = NULL;
  VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR feature = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR,
      .pNext = (void *)info->pNext,
      .pipelineExecutableInfo = VK_TRUE,
  };
  /* an application that chains the feature itself keeps its own struct */
  int chained = 0;
  for (const VkBaseInStructure *s = info->pNext; s != NULL; s = s->pNext)
    chained |= s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR;
  if (stats) {
    int enabled = 0;
    for (uint32_t i = 0; i < info->enabledExtensionCount; i++)
      enabled |= strcmp(info->ppEnabledExtensionNames[i], ext) == 0;
    names = calloc(info->enabledExtensionCount + 1, sizeof *names);
    if (names == NULL) return VK_ERROR_OUT_OF_HOST_MEMORY;
    for (uint32_t i = 0; i < info->enabledExtensionCount; i++) names[i] = info->ppEnabledExtensionNames[i];
    if (!enabled) names[copy.enabledExtensionCount++] = ext;
    copy.ppEnabledExtensionNames = names;
    if (!chained) copy.pNext = &feature;
  }
  VkResult result = create(physical, &copy, alloc, out);
  free(names);
  if (result != VK_SUCCESS) return result;
  struct device_entry entry = {
      .key = key_of(*out),
      .stats = stats,
      .next_gdpa = next_gdpa,
      .create_compute = (PFN_vkCreateComputePipelines)next_gdpa(*out, "vkCreateComputePipelines"),
      .executable_properties =
          (PFN_vkGetPipelineExecutablePropertiesKHR)next_gdpa(*out, "vkGetPipelineExecutablePropertiesKHR"),
      .executable_statistics =
          (PFN_vkGetPipelineExecutableStatisticsKHR)next_gdpa(*out, "vkGetPipelineExecutableStatisticsKHR"),
  };
  if (entry.executable_properties == NULL || entry.executable_statistics == NULL) entry.stats = 0;
  int full;
  pthread_mutex_lock(&lock);
  full = device_count == MAX_ENTRIES;
  if (!full) devices[device_count++] = entry;
  pthread_mutex_unlock(&lock);
  if (full) {
    PFN_vkDestroyDevice destroy = (PFN_vkDestroyDevice)next_gdpa(*out, "vkDestroyDevice");
    if (destroy != NULL) destroy(*out, alloc);
    *out = VK_NULL_HANDLE;
    return VK_ERROR_TOO_MANY_OBJECTS;
  }
  return result;
}

static VKAPI_ATTR void VKAPI_CALL stats_DestroyDevice(VkDevice device, const VkAllocationCallbacks *alloc) {
  if (device == VK_NULL_HANDLE) return;
  struct device_entry *dev = find_device(key_of(device));
  if (dev == NULL) return;
  PFN_vkDestroyDevice destroy = (PFN_vkDestroyDevice)dev->next_gdpa(device, "vkDestroyDevice");
  forget(devices, &device_count, sizeof devices[0], key_of(device));
  if (destroy != NULL) destroy(device, alloc);
}

/* One line per executable of `pipeline`, appended to $LAUNCHBENCH_VK_STATS. */
static void report(struct device_entry *dev, VkDevice device, VkPipeline pipeline, const char *entry_point) {
  VkPipelineInfoKHR info = {.sType = VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR, .pipeline = pipeline};
  uint32_t count = 0;
  if (dev->executable_properties(device, &info, &count, NULL) != VK_SUCCESS || count == 0) return;
  VkPipelineExecutablePropertiesKHR *props = calloc(count, sizeof *props);
  if (props == NULL) return;
  for (uint32_t i = 0; i < count; i++) props[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_PROPERTIES_KHR;
  if (dev->executable_properties(device, &info, &count, props) != VK_SUCCESS) count = 0;
  pthread_mutex_lock(&lock);
  const char *path = getenv("LAUNCHBENCH_VK_STATS");
  FILE *out = path != NULL ? fopen(path, "a") : stderr;
  for (uint32_t e = 0; e < count && out != NULL; e++) {
    VkPipelineExecutableInfoKHR which = {.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR,
                                         .pipeline = pipeline,
                                         .executableIndex = e};
    uint32_t n = 0;
    if (dev->executable_statistics(device, &which, &n, NULL) != VK_SUCCESS || n == 0) continue;
    VkPipelineExecutableStatisticKHR *stats = calloc(n, sizeof *stats);
    if (stats == NULL) continue;
    for (uint32_t i = 0; i < n; i++) stats[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR;
    if (dev->executable_statistics(device, &which, &n, stats) != VK_SUCCESS) n = 0;
    fprintf(out, "entry=%s\texecutable=%s\tsubgroup=%u", entry_point, props[e].name, props[e].subgroupSize);
    for (uint32_t i = 0; i < n; i++) {
      VkPipelineExecutableStatisticKHR *s = &stats[i];
      switch (s->format) {
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR:
          fprintf(out, "\t%s=%s", s->name, s->value.b32 ? "true" : "false");
          break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR:
          fprintf(out, "\t%s=%lld", s->name, (long long)s->value.i64);
          break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR:
          fprintf(out, "\t%s=%llu", s->name, (unsigned long long)s->value.u64);
          break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR:
          fprintf(out, "\t%s=%g", s->name, s->value.f64);
          break;
        default:
          break;
      }
    }
    fprintf(out, "\n");
    free(stats);
  }
  if (out != NULL && out != stderr) fclose(out);
  pthread_mutex_unlock(&lock);
  free(props);
}

static VKAPI_ATTR VkResult VKAPI_CALL stats_CreateComputePipelines(
    VkDevice device, VkPipelineCache cache, uint32_t count, const VkComputePipelineCreateInfo *infos,
    const VkAllocationCallbacks *alloc, VkPipeline *out) {
  struct device_entry *dev = find_device(key_of(device));
  if (dev == NULL) return VK_ERROR_INITIALIZATION_FAILED;
  /* (a VkPipelineCreateFlags2CreateInfoKHR in pNext would override `flags`: Dawn chains none) */
  if (!dev->stats || count == 0) return dev->create_compute(device, cache, count, infos, alloc, out);
  VkComputePipelineCreateInfo *copy = calloc(count, sizeof *copy);
  if (copy == NULL) return VK_ERROR_OUT_OF_HOST_MEMORY;
  memcpy(copy, infos, count * sizeof *copy);
  for (uint32_t i = 0; i < count; i++) copy[i].flags |= VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR;
  VkResult result = dev->create_compute(device, cache, count, copy, alloc, out);
  free(copy);
  if (result == VK_SUCCESS)
    for (uint32_t i = 0; i < count; i++) report(dev, device, out[i], infos[i].stage.pName);
  return result;
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL stats_GetDeviceProcAddr(VkDevice device, const char *name) {
  if (strcmp(name, "vkGetDeviceProcAddr") == 0) return (PFN_vkVoidFunction)stats_GetDeviceProcAddr;
  if (strcmp(name, "vkCreateComputePipelines") == 0) return (PFN_vkVoidFunction)stats_CreateComputePipelines;
  if (strcmp(name, "vkDestroyDevice") == 0) return (PFN_vkVoidFunction)stats_DestroyDevice;
  struct device_entry *dev = find_device(key_of(device));
  return dev == NULL ? NULL : dev->next_gdpa(device, name);
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL stats_GetInstanceProcAddr(VkInstance instance, const char *name) {
  if (strcmp(name, "vkGetInstanceProcAddr") == 0) return (PFN_vkVoidFunction)stats_GetInstanceProcAddr;
  if (strcmp(name, "vkCreateInstance") == 0) return (PFN_vkVoidFunction)stats_CreateInstance;
  if (strcmp(name, "vkCreateDevice") == 0) return (PFN_vkVoidFunction)stats_CreateDevice;
  if (strcmp(name, "vkGetDeviceProcAddr") == 0) return (PFN_vkVoidFunction)stats_GetDeviceProcAddr;
  if (strcmp(name, "vkCreateComputePipelines") == 0) return (PFN_vkVoidFunction)stats_CreateComputePipelines;
  if (strcmp(name, "vkDestroyDevice") == 0) return (PFN_vkVoidFunction)stats_DestroyDevice;
  if (strcmp(name, "vkDestroyInstance") == 0) return (PFN_vkVoidFunction)stats_DestroyInstance;
  if (instance == VK_NULL_HANDLE) return NULL;
  struct instance_entry *inst = find_instance(key_of(instance));
  return inst == NULL ? NULL : inst->next_gipa(instance, name);
}
