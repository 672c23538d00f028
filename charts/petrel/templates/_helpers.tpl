{{/* The chart name, or nameOverride. */}}
{{- define "petrel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: fullnameOverride, else the release name (plus the chart name unless it contains it). */}}
{{- define "petrel.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "petrel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "petrel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "petrel.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "petrel.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: petrel
{{- end }}

{{- define "petrel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "petrel.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" when leader election is on: leaderElection.enabled if set, else replicas > 1. */}}
{{- define "petrel.leaderElect" -}}
{{- if kindIs "bool" .Values.leaderElection.enabled }}
{{- .Values.leaderElection.enabled }}
{{- else }}
{{- gt (int .Values.replicas) 1 }}
{{- end }}
{{- end }}

{{- define "petrel.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/* "true" when the controller is bound to cluster-admin: rbac.clusterAdmin, else not in tenant mode. */}}
{{- define "petrel.clusterAdmin" -}}
{{- if kindIs "bool" .Values.rbac.clusterAdmin }}
{{- if and .Values.rbac.clusterAdmin .Values.tenancy.enabled }}
{{- fail "tenancy.enabled=true with rbac.clusterAdmin=true would let every tenant act as cluster-admin through the controller: drop rbac.clusterAdmin (tenant mode binds no cluster-admin)" }}
{{- end }}
{{- .Values.rbac.clusterAdmin }}
{{- else }}
{{- not .Values.tenancy.enabled }}
{{- end }}
{{- end }}

{{- define "petrel.defaultServiceAccount" -}}
{{- if .Values.controller.defaultServiceAccount }}
{{- .Values.controller.defaultServiceAccount }}
{{- else if .Values.tenancy.enabled }}
{{- required "tenancy.enabled needs tenancy.defaultServiceAccount: the service account Kustomizations apply as by default" .Values.tenancy.defaultServiceAccount }}
{{- end }}
{{- end }}

{{/* "true" when --require-secret-url-binding is on: the controller value, or tenant mode unless it opts out. */}}
{{- define "petrel.requireSecretURLBinding" -}}
{{- if .Values.controller.requireSecretURLBinding }}true
{{- else if and .Values.tenancy.enabled (ne .Values.tenancy.requireSecretURLBinding false) }}true
{{- else }}false
{{- end }}
{{- end }}

{{/* repository@digest when image.digest is set, else repository:tag (the tag defaults to appVersion). */}}
{{- define "petrel.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "petrel.artifactsServiceName" -}}
{{- printf "%s-artifacts" (include "petrel.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "petrel.metricsServiceName" -}}
{{- printf "%s-metrics" (include "petrel.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
