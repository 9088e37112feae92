using System.Data.Common;
using DuckDB.NET.Data;
using Parquet.Serialization;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// <c>hds audit query</c>: DuckDB in process over an export directory. The view <c>audit</c> reads every Parquet file of the export with
/// its Hive partitions (<c>tenant</c>, <c>day</c>) as columns; the SQL runs against it (and anything else DuckDB reads).
/// </summary>
internal static class AuditDuckDbQuery
{
    public static async Task<(List<string> Columns, List<object?[]> Rows)> RunAsync(string exportDirectory, string sql, CancellationToken cancellationToken)
    {
        // An export with no record yet (a window still empty, a first run under way) has no file for read_parquet to find: the view
        // is then an empty table with the export's columns, from an empty file written outside the export.
        var empty = Directory.EnumerateFiles(exportDirectory, "*.parquet", SearchOption.AllDirectories).Any() ? null : await EmptyFileAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var view = empty is null
                ? $"SELECT * FROM read_parquet('{Quote(Path.Combine(Path.GetFullPath(exportDirectory), "**", "*.parquet"))}', hive_partitioning = true, union_by_name = true)"
                : $"SELECT *, CAST(NULL AS VARCHAR) AS tenant, CAST(NULL AS DATE) AS day FROM read_parquet('{Quote(empty)}')";
            return await QueryAsync(view, sql, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (empty is not null)
            {
                File.Delete(empty);
            }
        }
    }

    private static async Task<string> EmptyFileAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), "hds-empty-export-" + Guid.NewGuid().ToString("N") + ".parquet");
        var stream = File.Create(path);
        await using (stream.ConfigureAwait(false))
        {
            await ParquetSerializer.SerializeAsync(Array.Empty<AuditParquetRow>(), stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return path;
    }

    private static string Quote(string path) => path.Replace("'", "''", StringComparison.Ordinal);

    private static async Task<(List<string> Columns, List<object?[]> Rows)> QueryAsync(string view, string sql, CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "CREATE VIEW audit AS " + view, cancellationToken).ConfigureAwait(false);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = sql;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
                    var rows = new List<object?[]>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var row = new object?[reader.FieldCount];
                        for (var i = 0; i < row.Length; i++)
                        {
                            row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                        }

                        rows.Add(row);
                    }

                    return (columns, rows);
                }
            }
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
