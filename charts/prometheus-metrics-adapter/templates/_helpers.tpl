{{/* The chart name, shortened to 63 characters. */}}
{{- define "adapter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The fully qualified name, as upstream: fullnameOverride, else release name (+ chart name unless contained). */}}
{{- define "adapter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "adapter.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{- define "adapter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "adapter.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "adapter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "adapter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "adapter.labels" -}}
{{ include "adapter.selectorLabels" . }}
app.kubernetes.io/component: metrics
app.kubernetes.io/part-of: {{ include "adapter.name" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- if .Values.customLabels }}
{{ toYaml .Values.customLabels }}
{{- end }}
{{- end -}}

{{- define "adapter.annotations" -}}
{{- if .Values.customAnnotations -}}
annotations:
  {{- toYaml .Values.customAnnotations | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "adapter.configMapName" -}}
{{- default (include "adapter.fullname" .) .Values.rules.existing -}}
{{- end -}}

{{- define "adapter.tlsSecretName" -}}
{{- if .Values.certManager.enabled -}}
{{- printf "%s-tls" (include "adapter.fullname" .) -}}
{{- else -}}
{{- printf "%s-secret" (include "adapter.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
The plural resource name RBAC needs for a resource a rule names, singular or plural (the adapter accepts both, as
upstream's REST mapper does). Already plural ("pods", "ingresses", "networkpolicies", "endpoints") is kept; a
singular is pluralised as Kubernetes guesses kinds to resources: "-s" → "-ses", "-y" → "-ies", else "+s".
*/}}
{{- define "adapter.resourcePlural" -}}
{{- $r := lower . -}}
{{- if and (hasSuffix "s" $r) (not (hasSuffix "ss" $r)) -}}
{{- $r -}}
{{- else if hasSuffix "s" $r -}}
{{- printf "%ses" $r -}}
{{- else if hasSuffix "y" $r -}}
{{- printf "%sies" (trimSuffix "y" $r) -}}
{{- else -}}
{{- printf "%ss" $r -}}
{{- end -}}
{{- end -}}

{{/*
The container image. Upstream's default repository in a copied community values file means "the chart's image",
so it is replaced by this chart's own; any other repository (a mirror) is used as given.
*/}}
{{- define "adapter.image" -}}
{{- $repository := .Values.image.repository -}}
{{- if eq $repository "registry.k8s.io/prometheus-adapter/prometheus-adapter" -}}
{{- $repository = "ghcr.io/prometheus-metrics-adapter/prometheus-metrics-adapter" -}}
{{- end -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
